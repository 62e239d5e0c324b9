from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

T = TypeVar("T", bound="WebhookInFilterType0")


@_attrs_define
class WebhookInFilterType0:
    """A condition the event must meet, shaped like the event: `{"type": {"$startsWith":
    "invoice."}, "data": {"amount": {"$gt": 10000}, "customer": {"country": "FR"}}}`.
    Nested objects follow the payload, a plain value means `$eq`; operators `$eq $neq $gt
    $gte $lt $lte $in $nin $exists $startsWith`, and `$and`/`$or` (arrays of conditions)
    and `$not`. At most 4 KB and 8 levels deep. An event that does not meet it makes no
    delivery here.

    """

    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        webhook_in_filter_type_0 = cls()

        webhook_in_filter_type_0.additional_properties = d
        return webhook_in_filter_type_0

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

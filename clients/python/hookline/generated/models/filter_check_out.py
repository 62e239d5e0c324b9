from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.filter_check_out_failed_type_0 import FilterCheckOutFailedType0


T = TypeVar("T", bound="FilterCheckOut")


@_attrs_define
class FilterCheckOut:
    """
    Example:
        {'failed': {'condition': {'$gt': 10000}, 'path': 'data.amount', 'reason': 'it is 50'}, 'field': 'filter',
            'matches': False}

    Attributes:
        matches (bool): Whether the event would be delivered to this webhook.
        field (None | str | Unset): What refused it: `enabled`, `events`, `account_ids` or `filter`.
        failed (FilterCheckOutFailedType0 | None | Unset): The condition that failed, where in the event, and what the
            event has there.
    """

    matches: bool
    field: None | str | Unset = UNSET
    failed: FilterCheckOutFailedType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.filter_check_out_failed_type_0 import FilterCheckOutFailedType0

        matches = self.matches

        field: None | str | Unset
        if isinstance(self.field, Unset):
            field = UNSET
        else:
            field = self.field

        failed: dict[str, Any] | None | Unset
        if isinstance(self.failed, Unset):
            failed = UNSET
        elif isinstance(self.failed, FilterCheckOutFailedType0):
            failed = self.failed.to_dict()
        else:
            failed = self.failed

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "matches": matches,
            }
        )
        if field is not UNSET:
            field_dict["field"] = field
        if failed is not UNSET:
            field_dict["failed"] = failed

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.filter_check_out_failed_type_0 import FilterCheckOutFailedType0

        d = dict(src_dict)
        matches = d.pop("matches")

        def _parse_field(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        field = _parse_field(d.pop("field", UNSET))

        def _parse_failed(data: object) -> FilterCheckOutFailedType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                failed_type_0 = FilterCheckOutFailedType0.from_dict(data)

                return failed_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(FilterCheckOutFailedType0 | None | Unset, data)

        failed = _parse_failed(d.pop("failed", UNSET))

        filter_check_out = cls(
            matches=matches,
            field=field,
            failed=failed,
        )

        filter_check_out.additional_properties = d
        return filter_check_out

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

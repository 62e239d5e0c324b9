from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mode import Mode
from ..types import UNSET, Unset

T = TypeVar("T", bound="PublishOut")


@_attrs_define
class PublishOut:
    """
    Attributes:
        id (str): A event id.
        type_ (str):
        deliveries (int):
        created_at (datetime.datetime):
        replayed (bool): True when this answer replays an earlier publish of the same id or idempotency key.
        account_type (Mode | Unset): Live or test: every credential has one, and sees and delivers only objects of its
            own
            (seed 002's `account_type`). Test objects live in their own namespace, see
            [`crate::ids::TEST_MODE_SUFFIX`].
    """

    id: str
    type_: str
    deliveries: int
    created_at: datetime.datetime
    replayed: bool
    account_type: Mode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        deliveries = self.deliveries

        created_at = self.created_at.isoformat()

        replayed = self.replayed

        account_type: str | Unset = UNSET
        if not isinstance(self.account_type, Unset):
            account_type = self.account_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "deliveries": deliveries,
                "created_at": created_at,
                "replayed": replayed,
            }
        )
        if account_type is not UNSET:
            field_dict["account_type"] = account_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        deliveries = d.pop("deliveries")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        replayed = d.pop("replayed")

        _account_type = d.pop("account_type", UNSET)
        account_type: Mode | Unset
        if isinstance(_account_type, Unset):
            account_type = UNSET
        else:
            account_type = Mode(_account_type)

        publish_out = cls(
            id=id,
            type_=type_,
            deliveries=deliveries,
            created_at=created_at,
            replayed=replayed,
            account_type=account_type,
        )

        publish_out.additional_properties = d
        return publish_out

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

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mode import Mode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.delivery_out import DeliveryOut


T = TypeVar("T", bound="EventOut")


@_attrs_define
class EventOut:
    """
    Attributes:
        id (str): A event id.
        type_ (str):
        data (Any):
        created_at (datetime.datetime):
        deliveries (list[DeliveryOut]):
        expires_at (datetime.datetime): When the event and its deliveries are deleted (the tenant's `retention_days`).
        account_id (None | str | Unset):
        account_type (Mode | Unset): Live or test: every credential has one, and sees and delivers only objects of its
            own
            (seed 002's `account_type`). Test objects live in their own namespace, see
            [`crate::ids::TEST_MODE_SUFFIX`].
    """

    id: str
    type_: str
    data: Any
    created_at: datetime.datetime
    deliveries: list[DeliveryOut]
    expires_at: datetime.datetime
    account_id: None | str | Unset = UNSET
    account_type: Mode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        type_ = self.type_

        data = self.data

        created_at = self.created_at.isoformat()

        deliveries = []
        for deliveries_item_data in self.deliveries:
            deliveries_item = deliveries_item_data.to_dict()
            deliveries.append(deliveries_item)

        expires_at = self.expires_at.isoformat()

        account_id: None | str | Unset
        if isinstance(self.account_id, Unset):
            account_id = UNSET
        else:
            account_id = self.account_id

        account_type: str | Unset = UNSET
        if not isinstance(self.account_type, Unset):
            account_type = self.account_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "type": type_,
                "data": data,
                "created_at": created_at,
                "deliveries": deliveries,
                "expires_at": expires_at,
            }
        )
        if account_id is not UNSET:
            field_dict["account_id"] = account_id
        if account_type is not UNSET:
            field_dict["account_type"] = account_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.delivery_out import DeliveryOut

        d = dict(src_dict)
        id = d.pop("id")

        type_ = d.pop("type")

        data = d.pop("data")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        deliveries = []
        _deliveries = d.pop("deliveries")
        for deliveries_item_data in _deliveries:
            deliveries_item = DeliveryOut.from_dict(deliveries_item_data)

            deliveries.append(deliveries_item)

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        def _parse_account_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        account_id = _parse_account_id(d.pop("account_id", UNSET))

        _account_type = d.pop("account_type", UNSET)
        account_type: Mode | Unset
        if isinstance(_account_type, Unset):
            account_type = UNSET
        else:
            account_type = Mode(_account_type)

        event_out = cls(
            id=id,
            type_=type_,
            data=data,
            created_at=created_at,
            deliveries=deliveries,
            expires_at=expires_at,
            account_id=account_id,
            account_type=account_type,
        )

        event_out.additional_properties = d
        return event_out

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

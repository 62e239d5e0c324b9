from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.receiver_auth_type_0_type import ReceiverAuthType0Type

T = TypeVar("T", bound="ReceiverAuthType0")


@_attrs_define
class ReceiverAuthType0:
    """`Authorization: Basic` with the pair.

    Attributes:
        username (str):
        password (str):
        type_ (ReceiverAuthType0Type):
    """

    username: str
    password: str
    type_: ReceiverAuthType0Type
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        username = self.username

        password = self.password

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "username": username,
                "password": password,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        username = d.pop("username")

        password = d.pop("password")

        type_ = ReceiverAuthType0Type(d.pop("type"))

        receiver_auth_type_0 = cls(
            username=username,
            password=password,
            type_=type_,
        )

        receiver_auth_type_0.additional_properties = d
        return receiver_auth_type_0

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

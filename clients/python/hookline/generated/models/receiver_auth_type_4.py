from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.receiver_auth_type_4_type import ReceiverAuthType4Type

T = TypeVar("T", bound="ReceiverAuthType4")


@_attrs_define
class ReceiverAuthType4:
    """Mutual TLS: this client certificate (PEM, with its chain) and its private key (PEM) are
    presented on the TLS connection to this webhook only.

        Attributes:
            certificate (str):
            private_key (str):
            type_ (ReceiverAuthType4Type):
    """

    certificate: str
    private_key: str
    type_: ReceiverAuthType4Type
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        certificate = self.certificate

        private_key = self.private_key

        type_ = self.type_.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "certificate": certificate,
                "private_key": private_key,
                "type": type_,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        certificate = d.pop("certificate")

        private_key = d.pop("private_key")

        type_ = ReceiverAuthType4Type(d.pop("type"))

        receiver_auth_type_4 = cls(
            certificate=certificate,
            private_key=private_key,
            type_=type_,
        )

        receiver_auth_type_4.additional_properties = d
        return receiver_auth_type_4

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

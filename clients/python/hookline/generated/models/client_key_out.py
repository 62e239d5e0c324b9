from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mode import Mode
from ..models.signature_algorithm import SignatureAlgorithm
from ..types import UNSET, Unset

T = TypeVar("T", bound="ClientKeyOut")


@_attrs_define
class ClientKeyOut:
    """
    Attributes:
        key_id (str):
        algorithm (SignatureAlgorithm): How a client key signs requests (RFC 9421 algorithm names).
        public_key (str):
        scopes (list[str]):
        created_at (datetime.datetime):
        account_type (Mode | Unset): Live or test: every credential has one, and sees and delivers only objects of its
            own
            (seed 002's `account_type`). Test objects live in their own namespace, see
            [`crate::ids::TEST_MODE_SUFFIX`].
    """

    key_id: str
    algorithm: SignatureAlgorithm
    public_key: str
    scopes: list[str]
    created_at: datetime.datetime
    account_type: Mode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key_id = self.key_id

        algorithm = self.algorithm.value

        public_key = self.public_key

        scopes = self.scopes

        created_at = self.created_at.isoformat()

        account_type: str | Unset = UNSET
        if not isinstance(self.account_type, Unset):
            account_type = self.account_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key_id": key_id,
                "algorithm": algorithm,
                "public_key": public_key,
                "scopes": scopes,
                "created_at": created_at,
            }
        )
        if account_type is not UNSET:
            field_dict["account_type"] = account_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key_id = d.pop("key_id")

        algorithm = SignatureAlgorithm(d.pop("algorithm"))

        public_key = d.pop("public_key")

        scopes = cast(list[str], d.pop("scopes"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        _account_type = d.pop("account_type", UNSET)
        account_type: Mode | Unset
        if isinstance(_account_type, Unset):
            account_type = UNSET
        else:
            account_type = Mode(_account_type)

        client_key_out = cls(
            key_id=key_id,
            algorithm=algorithm,
            public_key=public_key,
            scopes=scopes,
            created_at=created_at,
            account_type=account_type,
        )

        client_key_out.additional_properties = d
        return client_key_out

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

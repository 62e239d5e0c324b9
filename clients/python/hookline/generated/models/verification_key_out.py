from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.key_status import KeyStatus
from ..types import UNSET, Unset

T = TypeVar("T", bound="VerificationKeyOut")


@_attrs_define
class VerificationKeyOut:
    """
    Attributes:
        key_id (str): Named by each delivery: `webhook-key-id` (`ed25519`), `keyid` in `Signature-Input`
            (`http-message-signatures`), and `key_id` in the attempt log.
        algorithm (str): `ed25519`.
        public_key (str): `whpk_` and the base64 of the 32-byte Ed25519 public key.
        status (KeyStatus): Whether a verification key signs deliveries or only still verifies older ones.
        created_at (datetime.datetime):
        retires_at (datetime.datetime | None | Unset):
    """

    key_id: str
    algorithm: str
    public_key: str
    status: KeyStatus
    created_at: datetime.datetime
    retires_at: datetime.datetime | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        key_id = self.key_id

        algorithm = self.algorithm

        public_key = self.public_key

        status = self.status.value

        created_at = self.created_at.isoformat()

        retires_at: None | str | Unset
        if isinstance(self.retires_at, Unset):
            retires_at = UNSET
        elif isinstance(self.retires_at, datetime.datetime):
            retires_at = self.retires_at.isoformat()
        else:
            retires_at = self.retires_at

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "key_id": key_id,
                "algorithm": algorithm,
                "public_key": public_key,
                "status": status,
                "created_at": created_at,
            }
        )
        if retires_at is not UNSET:
            field_dict["retires_at"] = retires_at

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key_id = d.pop("key_id")

        algorithm = d.pop("algorithm")

        public_key = d.pop("public_key")

        status = KeyStatus(d.pop("status"))

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        def _parse_retires_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                retires_at_type_0 = datetime.datetime.fromisoformat(data)

                return retires_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        retires_at = _parse_retires_at(d.pop("retires_at", UNSET))

        verification_key_out = cls(
            key_id=key_id,
            algorithm=algorithm,
            public_key=public_key,
            status=status,
            created_at=created_at,
            retires_at=retires_at,
        )

        verification_key_out.additional_properties = d
        return verification_key_out

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

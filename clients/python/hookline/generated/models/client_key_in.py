from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.signature_algorithm import SignatureAlgorithm

T = TypeVar("T", bound="ClientKeyIn")


@_attrs_define
class ClientKeyIn:
    """
    Example:
        {'algorithm': 'ed25519', 'key_id': 'billing-service-2026', 'public_key': '-----BEGIN PUBLIC
            KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n--
            ---END PUBLIC KEY-----\\n', 'scopes': ['webhooks:write', 'events:publish']}

    Attributes:
        key_id (str): Names the key in `Signature-Input` (`keyid`); unique across every tenant.
        algorithm (SignatureAlgorithm): How a client key signs requests (RFC 9421 algorithm names).
        public_key (str): PEM SubjectPublicKeyInfo.
        scopes (list[str]):
    """

    key_id: str
    algorithm: SignatureAlgorithm
    public_key: str
    scopes: list[str]

    def to_dict(self) -> dict[str, Any]:
        key_id = self.key_id

        algorithm = self.algorithm.value

        public_key = self.public_key

        scopes = self.scopes

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "key_id": key_id,
                "algorithm": algorithm,
                "public_key": public_key,
                "scopes": scopes,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        key_id = d.pop("key_id")

        algorithm = SignatureAlgorithm(d.pop("algorithm"))

        public_key = d.pop("public_key")

        scopes = cast(list[str], d.pop("scopes"))

        client_key_in = cls(
            key_id=key_id,
            algorithm=algorithm,
            public_key=public_key,
            scopes=scopes,
        )

        return client_key_in

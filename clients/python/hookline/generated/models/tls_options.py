from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

T = TypeVar("T", bound="TlsOptions")


@_attrs_define
class TlsOptions:
    """How a receiver's TLS certificate is checked beyond the system roots.

    Attributes:
        ca_certificate (str): A certificate authority (PEM) the receiver's certificate may chain to, as well as the
            system roots (a private PKI). Verification is never turned off.
    """

    ca_certificate: str

    def to_dict(self) -> dict[str, Any]:
        ca_certificate = self.ca_certificate

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "ca_certificate": ca_certificate,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        ca_certificate = d.pop("ca_certificate")

        tls_options = cls(
            ca_certificate=ca_certificate,
        )

        return tls_options

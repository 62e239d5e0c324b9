from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.client_auth_method import ClientAuthMethod
from ..models.receiver_auth_type_3_type import ReceiverAuthType3Type
from ..types import UNSET, Unset

T = TypeVar("T", bound="ReceiverAuthType3")


@_attrs_define
class ReceiverAuthType3:
    """OAuth2 client credentials (RFC 6749 §4.4): a bearer token fetched from `token_url`,
    cached until shortly before it expires, fetched again once when the receiver answers 401.

        Attributes:
            token_url (str):
            client_id (str):
            client_secret (str):
            type_ (ReceiverAuthType3Type):
            scope (None | str | Unset):
            audience (None | str | Unset):
            client_auth (ClientAuthMethod | Unset): How an OAuth2 client authenticates at its token endpoint.
    """

    token_url: str
    client_id: str
    client_secret: str
    type_: ReceiverAuthType3Type
    scope: None | str | Unset = UNSET
    audience: None | str | Unset = UNSET
    client_auth: ClientAuthMethod | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        token_url = self.token_url

        client_id = self.client_id

        client_secret = self.client_secret

        type_ = self.type_.value

        scope: None | str | Unset
        if isinstance(self.scope, Unset):
            scope = UNSET
        else:
            scope = self.scope

        audience: None | str | Unset
        if isinstance(self.audience, Unset):
            audience = UNSET
        else:
            audience = self.audience

        client_auth: str | Unset = UNSET
        if not isinstance(self.client_auth, Unset):
            client_auth = self.client_auth.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "token_url": token_url,
                "client_id": client_id,
                "client_secret": client_secret,
                "type": type_,
            }
        )
        if scope is not UNSET:
            field_dict["scope"] = scope
        if audience is not UNSET:
            field_dict["audience"] = audience
        if client_auth is not UNSET:
            field_dict["client_auth"] = client_auth

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        token_url = d.pop("token_url")

        client_id = d.pop("client_id")

        client_secret = d.pop("client_secret")

        type_ = ReceiverAuthType3Type(d.pop("type"))

        def _parse_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        scope = _parse_scope(d.pop("scope", UNSET))

        def _parse_audience(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        audience = _parse_audience(d.pop("audience", UNSET))

        _client_auth = d.pop("client_auth", UNSET)
        client_auth: ClientAuthMethod | Unset
        if isinstance(_client_auth, Unset):
            client_auth = UNSET
        else:
            client_auth = ClientAuthMethod(_client_auth)

        receiver_auth_type_3 = cls(
            token_url=token_url,
            client_id=client_id,
            client_secret=client_secret,
            type_=type_,
            scope=scope,
            audience=audience,
            client_auth=client_auth,
        )

        receiver_auth_type_3.additional_properties = d
        return receiver_auth_type_3

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

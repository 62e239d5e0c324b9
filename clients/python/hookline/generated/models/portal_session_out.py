from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.capability import Capability
from ..models.mode import Mode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.appearance import Appearance


T = TypeVar("T", bound="PortalSessionOut")


@_attrs_define
class PortalSessionOut:
    """
    Attributes:
        capabilities (list[Capability]):
        expires_at (datetime.datetime):
        frame_ancestors (list[str]):
        appearance (Appearance): How the page looks, so that it sits in the platform's own app.
        url (str): The page, with the session in its fragment: hand it to the customer as it is (or put it
            in an iframe on one of `frame_ancestors`).
        token (str): The session's key, for a page of your own: it holds the scopes of `capabilities`, on
            the tenant's (or the listed) webhooks; nothing else.
        tenant_id (str): A tenant id.
        account_type (Mode): Live or test: every credential has one, and sees and delivers only objects of its own
            (seed 002's `account_type`). Test objects live in their own namespace, see
            [`crate::ids::TEST_MODE_SUFFIX`].
        webhook_ids (list[str] | None | Unset):
    """

    capabilities: list[Capability]
    expires_at: datetime.datetime
    frame_ancestors: list[str]
    appearance: Appearance
    url: str
    token: str
    tenant_id: str
    account_type: Mode
    webhook_ids: list[str] | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        capabilities = []
        for capabilities_item_data in self.capabilities:
            capabilities_item = capabilities_item_data.value
            capabilities.append(capabilities_item)

        expires_at = self.expires_at.isoformat()

        frame_ancestors = self.frame_ancestors

        appearance = self.appearance.to_dict()

        url = self.url

        token = self.token

        tenant_id = self.tenant_id

        account_type = self.account_type.value

        webhook_ids: list[str] | None | Unset
        if isinstance(self.webhook_ids, Unset):
            webhook_ids = UNSET
        elif isinstance(self.webhook_ids, list):
            webhook_ids = self.webhook_ids

        else:
            webhook_ids = self.webhook_ids

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "capabilities": capabilities,
                "expires_at": expires_at,
                "frame_ancestors": frame_ancestors,
                "appearance": appearance,
                "url": url,
                "token": token,
                "tenant_id": tenant_id,
                "account_type": account_type,
            }
        )
        if webhook_ids is not UNSET:
            field_dict["webhook_ids"] = webhook_ids

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.appearance import Appearance

        d = dict(src_dict)
        capabilities = []
        _capabilities = d.pop("capabilities")
        for capabilities_item_data in _capabilities:
            capabilities_item = Capability(capabilities_item_data)

            capabilities.append(capabilities_item)

        expires_at = datetime.datetime.fromisoformat(d.pop("expires_at"))

        frame_ancestors = cast(list[str], d.pop("frame_ancestors"))

        appearance = Appearance.from_dict(d.pop("appearance"))

        url = d.pop("url")

        token = d.pop("token")

        tenant_id = d.pop("tenant_id")

        account_type = Mode(d.pop("account_type"))

        def _parse_webhook_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                webhook_ids_type_0 = cast(list[str], data)

                return webhook_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        webhook_ids = _parse_webhook_ids(d.pop("webhook_ids", UNSET))

        portal_session_out = cls(
            capabilities=capabilities,
            expires_at=expires_at,
            frame_ancestors=frame_ancestors,
            appearance=appearance,
            url=url,
            token=token,
            tenant_id=tenant_id,
            account_type=account_type,
            webhook_ids=webhook_ids,
        )

        portal_session_out.additional_properties = d
        return portal_session_out

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

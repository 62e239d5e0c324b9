from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.capability import Capability
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.appearance import Appearance


T = TypeVar("T", bound="SessionOut")


@_attrs_define
class SessionOut:
    """What a session grants, as the page reads it (`GET /v1/portal-sessions/current`).

    Attributes:
        capabilities (list[Capability]):
        expires_at (datetime.datetime):
        frame_ancestors (list[str]):
        appearance (Appearance): How the page looks, so that it sits in the platform's own app.
        webhook_ids (list[str] | None | Unset):
    """

    capabilities: list[Capability]
    expires_at: datetime.datetime
    frame_ancestors: list[str]
    appearance: Appearance
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

        session_out = cls(
            capabilities=capabilities,
            expires_at=expires_at,
            frame_ancestors=frame_ancestors,
            appearance=appearance,
            webhook_ids=webhook_ids,
        )

        session_out.additional_properties = d
        return session_out

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

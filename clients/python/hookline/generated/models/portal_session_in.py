from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.appearance import Appearance


T = TypeVar("T", bound="PortalSessionIn")


@_attrs_define
class PortalSessionIn:
    """
    Example:
        {'appearance': {'brand_color': '#0a6cf1', 'theme': 'dark'}, 'capabilities': ['read', 'retry', 'manage'],
            'expires_in': 3600, 'frame_ancestors': ['https://app.example.com'], 'webhook_ids':
            ['wh_2bXk8bq1QmGv0ld1uZ4Qb9']}

    Attributes:
        webhook_ids (list[str] | None | Unset): Only these webhooks (of the acting tenant); omitted: all of them. A
            session limited to
            some webhooks cannot create others.
        expires_in (int | None | Unset): Seconds until the session ends (60 to 86400; default 3600).
        capabilities (list[str] | None | Unset): What the customer may do: `read` (always), `retry` (retry a delivery,
            recover failed
            ones), `manage` (create, edit, pause and delete endpoints, rotate secrets, send test
            events). Default `["read", "retry"]`. The key minting it must hold each.
        frame_ancestors (list[str] | None | Unset): Origins whose pages may show the portal in a frame
            (`https://app.example.com`; `http`
            only on a loopback host; at most 10). Default: none, the page refuses to be framed.
        appearance (Appearance | None | Unset):
    """

    webhook_ids: list[str] | None | Unset = UNSET
    expires_in: int | None | Unset = UNSET
    capabilities: list[str] | None | Unset = UNSET
    frame_ancestors: list[str] | None | Unset = UNSET
    appearance: Appearance | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.appearance import Appearance

        webhook_ids: list[str] | None | Unset
        if isinstance(self.webhook_ids, Unset):
            webhook_ids = UNSET
        elif isinstance(self.webhook_ids, list):
            webhook_ids = self.webhook_ids

        else:
            webhook_ids = self.webhook_ids

        expires_in: int | None | Unset
        if isinstance(self.expires_in, Unset):
            expires_in = UNSET
        else:
            expires_in = self.expires_in

        capabilities: list[str] | None | Unset
        if isinstance(self.capabilities, Unset):
            capabilities = UNSET
        elif isinstance(self.capabilities, list):
            capabilities = self.capabilities

        else:
            capabilities = self.capabilities

        frame_ancestors: list[str] | None | Unset
        if isinstance(self.frame_ancestors, Unset):
            frame_ancestors = UNSET
        elif isinstance(self.frame_ancestors, list):
            frame_ancestors = self.frame_ancestors

        else:
            frame_ancestors = self.frame_ancestors

        appearance: dict[str, Any] | None | Unset
        if isinstance(self.appearance, Unset):
            appearance = UNSET
        elif isinstance(self.appearance, Appearance):
            appearance = self.appearance.to_dict()
        else:
            appearance = self.appearance

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if webhook_ids is not UNSET:
            field_dict["webhook_ids"] = webhook_ids
        if expires_in is not UNSET:
            field_dict["expires_in"] = expires_in
        if capabilities is not UNSET:
            field_dict["capabilities"] = capabilities
        if frame_ancestors is not UNSET:
            field_dict["frame_ancestors"] = frame_ancestors
        if appearance is not UNSET:
            field_dict["appearance"] = appearance

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.appearance import Appearance

        d = dict(src_dict)

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

        def _parse_expires_in(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        expires_in = _parse_expires_in(d.pop("expires_in", UNSET))

        def _parse_capabilities(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                capabilities_type_0 = cast(list[str], data)

                return capabilities_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        capabilities = _parse_capabilities(d.pop("capabilities", UNSET))

        def _parse_frame_ancestors(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                frame_ancestors_type_0 = cast(list[str], data)

                return frame_ancestors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        frame_ancestors = _parse_frame_ancestors(d.pop("frame_ancestors", UNSET))

        def _parse_appearance(data: object) -> Appearance | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                appearance_type_1 = Appearance.from_dict(data)

                return appearance_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Appearance | None | Unset, data)

        appearance = _parse_appearance(d.pop("appearance", UNSET))

        portal_session_in = cls(
            webhook_ids=webhook_ids,
            expires_in=expires_in,
            capabilities=capabilities,
            frame_ancestors=frame_ancestors,
            appearance=appearance,
        )

        return portal_session_in

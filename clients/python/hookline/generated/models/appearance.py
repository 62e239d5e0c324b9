from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.theme import Theme
from ..types import UNSET, Unset

T = TypeVar("T", bound="Appearance")


@_attrs_define
class Appearance:
    """How the page looks, so that it sits in the platform's own app.

    Attributes:
        theme (Theme | Unset): Light, dark, or whichever the customer's system prefers.
        brand_color (None | str | Unset): Buttons, links and focus rings: `#rgb` or `#rrggbb`.
        logo_url (None | str | Unset): An image shown in the header (`https://`, or `http://` on a loopback host).
    """

    theme: Theme | Unset = UNSET
    brand_color: None | str | Unset = UNSET
    logo_url: None | str | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        theme: str | Unset = UNSET
        if not isinstance(self.theme, Unset):
            theme = self.theme.value

        brand_color: None | str | Unset
        if isinstance(self.brand_color, Unset):
            brand_color = UNSET
        else:
            brand_color = self.brand_color

        logo_url: None | str | Unset
        if isinstance(self.logo_url, Unset):
            logo_url = UNSET
        else:
            logo_url = self.logo_url

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if theme is not UNSET:
            field_dict["theme"] = theme
        if brand_color is not UNSET:
            field_dict["brand_color"] = brand_color
        if logo_url is not UNSET:
            field_dict["logo_url"] = logo_url

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        _theme = d.pop("theme", UNSET)
        theme: Theme | Unset
        if isinstance(_theme, Unset):
            theme = UNSET
        else:
            theme = Theme(_theme)

        def _parse_brand_color(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        brand_color = _parse_brand_color(d.pop("brand_color", UNSET))

        def _parse_logo_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        logo_url = _parse_logo_url(d.pop("logo_url", UNSET))

        appearance = cls(
            theme=theme,
            brand_color=brand_color,
            logo_url=logo_url,
        )

        return appearance

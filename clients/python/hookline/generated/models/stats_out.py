from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.hour_out import HourOut
    from ..models.period import Period


T = TypeVar("T", bound="StatsOut")


@_attrs_define
class StatsOut:
    """
    Attributes:
        webhook_id (str): A webhook id.
        all_time (Period):
        last_24h (Period):
        hourly (list[HourOut]): The last 24 hours (or the `hours` asked for) hour by hour, oldest first (hours without
            activity included).
        computed_at (datetime.datetime):
    """

    webhook_id: str
    all_time: Period
    last_24h: Period
    hourly: list[HourOut]
    computed_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        webhook_id = self.webhook_id

        all_time = self.all_time.to_dict()

        last_24h = self.last_24h.to_dict()

        hourly = []
        for hourly_item_data in self.hourly:
            hourly_item = hourly_item_data.to_dict()
            hourly.append(hourly_item)

        computed_at = self.computed_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "webhook_id": webhook_id,
                "all_time": all_time,
                "last_24h": last_24h,
                "hourly": hourly,
                "computed_at": computed_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.hour_out import HourOut
        from ..models.period import Period

        d = dict(src_dict)
        webhook_id = d.pop("webhook_id")

        all_time = Period.from_dict(d.pop("all_time"))

        last_24h = Period.from_dict(d.pop("last_24h"))

        hourly = []
        _hourly = d.pop("hourly")
        for hourly_item_data in _hourly:
            hourly_item = HourOut.from_dict(hourly_item_data)

            hourly.append(hourly_item)

        computed_at = datetime.datetime.fromisoformat(d.pop("computed_at"))

        stats_out = cls(
            webhook_id=webhook_id,
            all_time=all_time,
            last_24h=last_24h,
            hourly=hourly,
            computed_at=computed_at,
        )

        stats_out.additional_properties = d
        return stats_out

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

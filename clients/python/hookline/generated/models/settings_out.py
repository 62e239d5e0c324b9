from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.log_level import LogLevel

T = TypeVar("T", bound="SettingsOut")


@_attrs_define
class SettingsOut:
    """
    Example:
        {'log_level': 'failures', 'retention_days': 14, 'updated_at': '2026-12-03T10:00:00Z'}

    Attributes:
        log_level (LogLevel): How much of a tenant's delivery log is written.
        retention_days (int): Days events, deliveries and attempts are kept after the event (1 to 90); events and
            deliveries say when they expire (`expires_at`). A change applies to events published
            after it.
        updated_at (datetime.datetime): When they were last changed (now, for a tenant that never changed them).
    """

    log_level: LogLevel
    retention_days: int
    updated_at: datetime.datetime
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        log_level = self.log_level.value

        retention_days = self.retention_days

        updated_at = self.updated_at.isoformat()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "log_level": log_level,
                "retention_days": retention_days,
                "updated_at": updated_at,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        log_level = LogLevel(d.pop("log_level"))

        retention_days = d.pop("retention_days")

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        settings_out = cls(
            log_level=log_level,
            retention_days=retention_days,
            updated_at=updated_at,
        )

        settings_out.additional_properties = d
        return settings_out

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

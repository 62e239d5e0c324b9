from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.log_level import LogLevel
from ..types import UNSET, Unset

T = TypeVar("T", bound="SettingsPatchIn")


@_attrs_define
class SettingsPatchIn:
    """
    Example:
        {'log_level': 'failures', 'retention_days': 14}

    Attributes:
        log_level (LogLevel | None | Unset):
        retention_days (int | None | Unset): 1 to 90; `null` goes back to the deployment's default
            (`HOOKLINE_RETENTION_DAYS`).
    """

    log_level: LogLevel | None | Unset = UNSET
    retention_days: int | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        log_level: None | str | Unset
        if isinstance(self.log_level, Unset):
            log_level = UNSET
        elif isinstance(self.log_level, LogLevel):
            log_level = self.log_level.value
        else:
            log_level = self.log_level

        retention_days: int | None | Unset
        if isinstance(self.retention_days, Unset):
            retention_days = UNSET
        else:
            retention_days = self.retention_days

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if log_level is not UNSET:
            field_dict["log_level"] = log_level
        if retention_days is not UNSET:
            field_dict["retention_days"] = retention_days

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_log_level(data: object) -> LogLevel | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                log_level_type_1 = LogLevel(data)

                return log_level_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(LogLevel | None | Unset, data)

        log_level = _parse_log_level(d.pop("log_level", UNSET))

        def _parse_retention_days(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        retention_days = _parse_retention_days(d.pop("retention_days", UNSET))

        settings_patch_in = cls(
            log_level=log_level,
            retention_days=retention_days,
        )

        return settings_patch_in

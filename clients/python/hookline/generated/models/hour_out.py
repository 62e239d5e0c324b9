from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="HourOut")


@_attrs_define
class HourOut:
    """One hour of a webhook's activity.

    Attributes:
        hour (datetime.datetime): The start of the hour.
        succeeded (int): Deliveries that reached a final status in this hour.
        failed (int):
        attempts (int): Attempts made in this hour, and their response time.
        failed_attempts (int):
        p50_ms (int | None | Unset):
        p95_ms (int | None | Unset):
        held_back (int | Unset): Times a due delivery was held back by the rate limit in this hour.
    """

    hour: datetime.datetime
    succeeded: int
    failed: int
    attempts: int
    failed_attempts: int
    p50_ms: int | None | Unset = UNSET
    p95_ms: int | None | Unset = UNSET
    held_back: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        hour = self.hour.isoformat()

        succeeded = self.succeeded

        failed = self.failed

        attempts = self.attempts

        failed_attempts = self.failed_attempts

        p50_ms: int | None | Unset
        if isinstance(self.p50_ms, Unset):
            p50_ms = UNSET
        else:
            p50_ms = self.p50_ms

        p95_ms: int | None | Unset
        if isinstance(self.p95_ms, Unset):
            p95_ms = UNSET
        else:
            p95_ms = self.p95_ms

        held_back = self.held_back

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "hour": hour,
                "succeeded": succeeded,
                "failed": failed,
                "attempts": attempts,
                "failed_attempts": failed_attempts,
            }
        )
        if p50_ms is not UNSET:
            field_dict["p50_ms"] = p50_ms
        if p95_ms is not UNSET:
            field_dict["p95_ms"] = p95_ms
        if held_back is not UNSET:
            field_dict["held_back"] = held_back

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        hour = datetime.datetime.fromisoformat(d.pop("hour"))

        succeeded = d.pop("succeeded")

        failed = d.pop("failed")

        attempts = d.pop("attempts")

        failed_attempts = d.pop("failed_attempts")

        def _parse_p50_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        p50_ms = _parse_p50_ms(d.pop("p50_ms", UNSET))

        def _parse_p95_ms(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        p95_ms = _parse_p95_ms(d.pop("p95_ms", UNSET))

        held_back = d.pop("held_back", UNSET)

        hour_out = cls(
            hour=hour,
            succeeded=succeeded,
            failed=failed,
            attempts=attempts,
            failed_attempts=failed_attempts,
            p50_ms=p50_ms,
            p95_ms=p95_ms,
            held_back=held_back,
        )

        hour_out.additional_properties = d
        return hour_out

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

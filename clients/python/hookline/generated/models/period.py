from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attempt_counts import AttemptCounts
    from ..models.response_times import ResponseTimes
    from ..models.status_counts import StatusCounts


T = TypeVar("T", bound="Period")


@_attrs_define
class Period:
    """
    Attributes:
        deliveries (StatusCounts):
        attempts (AttemptCounts):
        response_time (ResponseTimes):
        success_rate (float | None | Unset): Succeeded / (succeeded + failed) deliveries; `None` before any settled.
        held_back (int | Unset): Times a due delivery was held back by the webhook's rate limit (not attempts).
    """

    deliveries: StatusCounts
    attempts: AttemptCounts
    response_time: ResponseTimes
    success_rate: float | None | Unset = UNSET
    held_back: int | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        deliveries = self.deliveries.to_dict()

        attempts = self.attempts.to_dict()

        response_time = self.response_time.to_dict()

        success_rate: float | None | Unset
        if isinstance(self.success_rate, Unset):
            success_rate = UNSET
        else:
            success_rate = self.success_rate

        held_back = self.held_back

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "deliveries": deliveries,
                "attempts": attempts,
                "response_time": response_time,
            }
        )
        if success_rate is not UNSET:
            field_dict["success_rate"] = success_rate
        if held_back is not UNSET:
            field_dict["held_back"] = held_back

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.attempt_counts import AttemptCounts
        from ..models.response_times import ResponseTimes
        from ..models.status_counts import StatusCounts

        d = dict(src_dict)
        deliveries = StatusCounts.from_dict(d.pop("deliveries"))

        attempts = AttemptCounts.from_dict(d.pop("attempts"))

        response_time = ResponseTimes.from_dict(d.pop("response_time"))

        def _parse_success_rate(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        success_rate = _parse_success_rate(d.pop("success_rate", UNSET))

        held_back = d.pop("held_back", UNSET)

        period = cls(
            deliveries=deliveries,
            attempts=attempts,
            response_time=response_time,
            success_rate=success_rate,
            held_back=held_back,
        )

        period.additional_properties = d
        return period

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

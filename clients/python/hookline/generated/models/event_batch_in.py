from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

if TYPE_CHECKING:
    from ..models.event_in import EventIn


T = TypeVar("T", bound="EventBatchIn")


@_attrs_define
class EventBatchIn:
    """`POST /v1/events/batch` body: up to 100 events, each as `POST /v1/events` takes it.

    Example:
        {'events': [{'data': {'order': 1}, 'id': 'evt_order_1', 'type': 'order.paid'}, {'data': {'order': 2}, 'id':
            'evt_order_2', 'type': 'order.paid'}]}

    Attributes:
        events (list[EventIn]):
    """

    events: list[EventIn]

    def to_dict(self) -> dict[str, Any]:
        events = []
        for events_item_data in self.events:
            events_item = events_item_data.to_dict()
            events.append(events_item)

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "events": events,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.event_in import EventIn

        d = dict(src_dict)
        events = []
        _events = d.pop("events")
        for events_item_data in _events:
            events_item = EventIn.from_dict(events_item_data)

            events.append(events_item)

        event_batch_in = cls(
            events=events,
        )

        return event_batch_in

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.event_type_patch_in_example_type_0 import EventTypePatchInExampleType0
    from ..models.event_type_patch_in_schema_type_0 import EventTypePatchInSchemaType0


T = TypeVar("T", bound="EventTypePatchIn")


@_attrs_define
class EventTypePatchIn:
    """`PATCH` body: only the fields present change; `null` clears one.

    Attributes:
        description (None | str | Unset):
        example (EventTypePatchInExampleType0 | None | Unset):
        schema (EventTypePatchInSchemaType0 | None | Unset):
    """

    description: None | str | Unset = UNSET
    example: EventTypePatchInExampleType0 | None | Unset = UNSET
    schema: EventTypePatchInSchemaType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.event_type_patch_in_example_type_0 import (
            EventTypePatchInExampleType0,
        )
        from ..models.event_type_patch_in_schema_type_0 import (
            EventTypePatchInSchemaType0,
        )

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        example: dict[str, Any] | None | Unset
        if isinstance(self.example, Unset):
            example = UNSET
        elif isinstance(self.example, EventTypePatchInExampleType0):
            example = self.example.to_dict()
        else:
            example = self.example

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, EventTypePatchInSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if description is not UNSET:
            field_dict["description"] = description
        if example is not UNSET:
            field_dict["example"] = example
        if schema is not UNSET:
            field_dict["schema"] = schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.event_type_patch_in_example_type_0 import (
            EventTypePatchInExampleType0,
        )
        from ..models.event_type_patch_in_schema_type_0 import (
            EventTypePatchInSchemaType0,
        )

        d = dict(src_dict)

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_example(data: object) -> EventTypePatchInExampleType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                example_type_0 = EventTypePatchInExampleType0.from_dict(data)

                return example_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventTypePatchInExampleType0 | None | Unset, data)

        example = _parse_example(d.pop("example", UNSET))

        def _parse_schema(data: object) -> EventTypePatchInSchemaType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = EventTypePatchInSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventTypePatchInSchemaType0 | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        event_type_patch_in = cls(
            description=description,
            example=example,
            schema=schema,
        )

        return event_type_patch_in

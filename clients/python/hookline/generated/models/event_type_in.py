from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.event_type_in_schema_type_0 import EventTypeInSchemaType0


T = TypeVar("T", bound="EventTypeIn")


@_attrs_define
class EventTypeIn:
    """
    Example:
        {'description': 'An invoice was paid', 'example': {'invoice_id': 'inv_1'}, 'name': 'invoice.paid', 'schema':
            {'properties': {'invoice_id': {'type': 'string'}}, 'required': ['invoice_id'], 'type': 'object'}}

    Attributes:
        name (str):
        description (None | str | Unset):
        example (Any | Unset):
        schema (EventTypeInSchemaType0 | None | Unset): A JSON Schema (draft 2020-12) that every published event's
            `data` of this type, and
            the example, must satisfy; `$ref`s are never fetched.
    """

    name: str
    description: None | str | Unset = UNSET
    example: Any | Unset = UNSET
    schema: EventTypeInSchemaType0 | None | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.event_type_in_schema_type_0 import EventTypeInSchemaType0

        name = self.name

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        example = self.example

        schema: dict[str, Any] | None | Unset
        if isinstance(self.schema, Unset):
            schema = UNSET
        elif isinstance(self.schema, EventTypeInSchemaType0):
            schema = self.schema.to_dict()
        else:
            schema = self.schema

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "name": name,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
        if example is not UNSET:
            field_dict["example"] = example
        if schema is not UNSET:
            field_dict["schema"] = schema

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.event_type_in_schema_type_0 import EventTypeInSchemaType0

        d = dict(src_dict)
        name = d.pop("name")

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        example = d.pop("example", UNSET)

        def _parse_schema(data: object) -> EventTypeInSchemaType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                schema_type_0 = EventTypeInSchemaType0.from_dict(data)

                return schema_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(EventTypeInSchemaType0 | None | Unset, data)

        schema = _parse_schema(d.pop("schema", UNSET))

        event_type_in = cls(
            name=name,
            description=description,
            example=example,
            schema=schema,
        )

        return event_type_in

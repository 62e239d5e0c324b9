from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.field_error_out import FieldErrorOut


T = TypeVar("T", bound="ErrorDetail")


@_attrs_define
class ErrorDetail:
    """
    Attributes:
        code (str): Stable and machine-readable: `bad_request`, `unauthorized`, `forbidden`, `not_found`,
            `method_not_allowed`, `conflict`, `webhook_limit_reached`, `payload_too_large`,
            `validation_failed`, `rate_limited`, `internal_error`, ...
        message (str): For people: what is wrong and, where it helps, what to do.
        field (None | str | Unset): The request field at fault (validation errors: the first, when there are several),
            or
            the query parameter that did not parse (400).
        errors (list[FieldErrorOut] | None | Unset): Validation errors: every field at fault, each with its own message.
        required_scope (None | str | Unset): The scope the key lacks (403).
        limit_bytes (int | None | Unset): The largest accepted body (413).
    """

    code: str
    message: str
    field: None | str | Unset = UNSET
    errors: list[FieldErrorOut] | None | Unset = UNSET
    required_scope: None | str | Unset = UNSET
    limit_bytes: int | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        code = self.code

        message = self.message

        field: None | str | Unset
        if isinstance(self.field, Unset):
            field = UNSET
        else:
            field = self.field

        errors: list[dict[str, Any]] | None | Unset
        if isinstance(self.errors, Unset):
            errors = UNSET
        elif isinstance(self.errors, list):
            errors = []
            for errors_type_0_item_data in self.errors:
                errors_type_0_item = errors_type_0_item_data.to_dict()
                errors.append(errors_type_0_item)

        else:
            errors = self.errors

        required_scope: None | str | Unset
        if isinstance(self.required_scope, Unset):
            required_scope = UNSET
        else:
            required_scope = self.required_scope

        limit_bytes: int | None | Unset
        if isinstance(self.limit_bytes, Unset):
            limit_bytes = UNSET
        else:
            limit_bytes = self.limit_bytes

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "code": code,
                "message": message,
            }
        )
        if field is not UNSET:
            field_dict["field"] = field
        if errors is not UNSET:
            field_dict["errors"] = errors
        if required_scope is not UNSET:
            field_dict["required_scope"] = required_scope
        if limit_bytes is not UNSET:
            field_dict["limit_bytes"] = limit_bytes

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.field_error_out import FieldErrorOut

        d = dict(src_dict)
        code = d.pop("code")

        message = d.pop("message")

        def _parse_field(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        field = _parse_field(d.pop("field", UNSET))

        def _parse_errors(data: object) -> list[FieldErrorOut] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                errors_type_0 = []
                _errors_type_0 = data
                for errors_type_0_item_data in _errors_type_0:
                    errors_type_0_item = FieldErrorOut.from_dict(
                        errors_type_0_item_data
                    )

                    errors_type_0.append(errors_type_0_item)

                return errors_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[FieldErrorOut] | None | Unset, data)

        errors = _parse_errors(d.pop("errors", UNSET))

        def _parse_required_scope(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        required_scope = _parse_required_scope(d.pop("required_scope", UNSET))

        def _parse_limit_bytes(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        limit_bytes = _parse_limit_bytes(d.pop("limit_bytes", UNSET))

        error_detail = cls(
            code=code,
            message=message,
            field=field,
            errors=errors,
            required_scope=required_scope,
            limit_bytes=limit_bytes,
        )

        error_detail.additional_properties = d
        return error_detail

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

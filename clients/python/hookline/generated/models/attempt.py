from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.attempt_error import AttemptError
from ..models.attempt_rule import AttemptRule
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.attempt_request_headers_type_0 import AttemptRequestHeadersType0


T = TypeVar("T", bound="Attempt")


@_attrs_define
class Attempt:
    """One HTTP attempt of a delivery.

    Attributes:
        at (datetime.datetime):
        duration_ms (int):
        status_code (int | None | Unset):
        response_excerpt (None | str | Unset): The start of the response body (512 bytes), lossily decoded.
        error_kind (AttemptError | None | Unset):
        error (None | str | Unset):
        manual (bool | Unset): A manual retry, outside the automatic schedule (left out when not).
        retry_id (None | str | Unset):
        key_id (None | str | Unset): The verification key that signed it (asymmetric signature schemes).
        rule (AttemptRule | None | Unset):
        request_headers (AttemptRequestHeadersType0 | None | Unset): The headers Hookline set on a request that did not
            succeed, the receiver's credential
            and the custom headers' values masked (a success keeps none: they are for debugging a
            failure, and a first-try success then costs no more to record).
    """

    at: datetime.datetime
    duration_ms: int
    status_code: int | None | Unset = UNSET
    response_excerpt: None | str | Unset = UNSET
    error_kind: AttemptError | None | Unset = UNSET
    error: None | str | Unset = UNSET
    manual: bool | Unset = UNSET
    retry_id: None | str | Unset = UNSET
    key_id: None | str | Unset = UNSET
    rule: AttemptRule | None | Unset = UNSET
    request_headers: AttemptRequestHeadersType0 | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.attempt_request_headers_type_0 import AttemptRequestHeadersType0

        at = self.at.isoformat()

        duration_ms = self.duration_ms

        status_code: int | None | Unset
        if isinstance(self.status_code, Unset):
            status_code = UNSET
        else:
            status_code = self.status_code

        response_excerpt: None | str | Unset
        if isinstance(self.response_excerpt, Unset):
            response_excerpt = UNSET
        else:
            response_excerpt = self.response_excerpt

        error_kind: None | str | Unset
        if isinstance(self.error_kind, Unset):
            error_kind = UNSET
        elif isinstance(self.error_kind, AttemptError):
            error_kind = self.error_kind.value
        else:
            error_kind = self.error_kind

        error: None | str | Unset
        if isinstance(self.error, Unset):
            error = UNSET
        else:
            error = self.error

        manual = self.manual

        retry_id: None | str | Unset
        if isinstance(self.retry_id, Unset):
            retry_id = UNSET
        else:
            retry_id = self.retry_id

        key_id: None | str | Unset
        if isinstance(self.key_id, Unset):
            key_id = UNSET
        else:
            key_id = self.key_id

        rule: None | str | Unset
        if isinstance(self.rule, Unset):
            rule = UNSET
        elif isinstance(self.rule, AttemptRule):
            rule = self.rule.value
        else:
            rule = self.rule

        request_headers: dict[str, Any] | None | Unset
        if isinstance(self.request_headers, Unset):
            request_headers = UNSET
        elif isinstance(self.request_headers, AttemptRequestHeadersType0):
            request_headers = self.request_headers.to_dict()
        else:
            request_headers = self.request_headers

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "at": at,
                "duration_ms": duration_ms,
            }
        )
        if status_code is not UNSET:
            field_dict["status_code"] = status_code
        if response_excerpt is not UNSET:
            field_dict["response_excerpt"] = response_excerpt
        if error_kind is not UNSET:
            field_dict["error_kind"] = error_kind
        if error is not UNSET:
            field_dict["error"] = error
        if manual is not UNSET:
            field_dict["manual"] = manual
        if retry_id is not UNSET:
            field_dict["retry_id"] = retry_id
        if key_id is not UNSET:
            field_dict["key_id"] = key_id
        if rule is not UNSET:
            field_dict["rule"] = rule
        if request_headers is not UNSET:
            field_dict["request_headers"] = request_headers

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.attempt_request_headers_type_0 import AttemptRequestHeadersType0

        d = dict(src_dict)
        at = datetime.datetime.fromisoformat(d.pop("at"))

        duration_ms = d.pop("duration_ms")

        def _parse_status_code(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        status_code = _parse_status_code(d.pop("status_code", UNSET))

        def _parse_response_excerpt(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        response_excerpt = _parse_response_excerpt(d.pop("response_excerpt", UNSET))

        def _parse_error_kind(data: object) -> AttemptError | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                error_kind_type_1 = AttemptError(data)

                return error_kind_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AttemptError | None | Unset, data)

        error_kind = _parse_error_kind(d.pop("error_kind", UNSET))

        def _parse_error(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error = _parse_error(d.pop("error", UNSET))

        manual = d.pop("manual", UNSET)

        def _parse_retry_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        retry_id = _parse_retry_id(d.pop("retry_id", UNSET))

        def _parse_key_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        key_id = _parse_key_id(d.pop("key_id", UNSET))

        def _parse_rule(data: object) -> AttemptRule | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                rule_type_1 = AttemptRule(data)

                return rule_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AttemptRule | None | Unset, data)

        rule = _parse_rule(d.pop("rule", UNSET))

        def _parse_request_headers(
            data: object,
        ) -> AttemptRequestHeadersType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                request_headers_type_0 = AttemptRequestHeadersType0.from_dict(data)

                return request_headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AttemptRequestHeadersType0 | None | Unset, data)

        request_headers = _parse_request_headers(d.pop("request_headers", UNSET))

        attempt = cls(
            at=at,
            duration_ms=duration_ms,
            status_code=status_code,
            response_excerpt=response_excerpt,
            error_kind=error_kind,
            error=error,
            manual=manual,
            retry_id=retry_id,
            key_id=key_id,
            rule=rule,
            request_headers=request_headers,
        )

        attempt.additional_properties = d
        return attempt

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

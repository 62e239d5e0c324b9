from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define

from ..models.ordering import Ordering
from ..models.signature_scheme import SignatureScheme
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.receiver_auth_type_0 import ReceiverAuthType0
    from ..models.receiver_auth_type_1 import ReceiverAuthType1
    from ..models.receiver_auth_type_2 import ReceiverAuthType2
    from ..models.receiver_auth_type_3 import ReceiverAuthType3
    from ..models.receiver_auth_type_4 import ReceiverAuthType4
    from ..models.tls_options import TlsOptions
    from ..models.webhook_patch_in_filter_type_0 import WebhookPatchInFilterType0
    from ..models.webhook_patch_in_headers_type_0 import WebhookPatchInHeadersType0
    from ..models.webhook_patch_in_metadata_type_0 import WebhookPatchInMetadataType0


T = TypeVar("T", bound="WebhookPatchIn")


@_attrs_define
class WebhookPatchIn:
    """`PATCH` body: only the fields present change; `null` clears a field that can be cleared
    (`description`, `account_ids`, `metadata`, `headers`; an empty `description` clears it too)
    and keeps
    `events`.

        Attributes:
            url (None | str | Unset):
            events (list[str] | None | Unset):
            description (None | str | Unset):
            enabled (bool | None | Unset):
            account_ids (list[str] | None | Unset):
            metadata (None | Unset | WebhookPatchInMetadataType0):
            headers (None | Unset | WebhookPatchInHeadersType0): Replaces every custom header; `null` clears them.
            auth (None | ReceiverAuthType0 | ReceiverAuthType1 | ReceiverAuthType2 | ReceiverAuthType3 | ReceiverAuthType4 |
                Unset):
            tls (None | TlsOptions | Unset):
            timeout_seconds (int | None | Unset): `null` goes back to the deployment's timeout.
            filter_ (None | Unset | WebhookPatchInFilterType0): Replaces the payload filter; `null` removes it.
            rate_limit (int | None | Unset): `null` removes the limit.
            ordering (None | Ordering | Unset):
            signature_scheme (None | SignatureScheme | Unset):
    """

    url: None | str | Unset = UNSET
    events: list[str] | None | Unset = UNSET
    description: None | str | Unset = UNSET
    enabled: bool | None | Unset = UNSET
    account_ids: list[str] | None | Unset = UNSET
    metadata: None | Unset | WebhookPatchInMetadataType0 = UNSET
    headers: None | Unset | WebhookPatchInHeadersType0 = UNSET
    auth: (
        None
        | ReceiverAuthType0
        | ReceiverAuthType1
        | ReceiverAuthType2
        | ReceiverAuthType3
        | ReceiverAuthType4
        | Unset
    ) = UNSET
    tls: None | TlsOptions | Unset = UNSET
    timeout_seconds: int | None | Unset = UNSET
    filter_: None | Unset | WebhookPatchInFilterType0 = UNSET
    rate_limit: int | None | Unset = UNSET
    ordering: None | Ordering | Unset = UNSET
    signature_scheme: None | SignatureScheme | Unset = UNSET

    def to_dict(self) -> dict[str, Any]:
        from ..models.receiver_auth_type_0 import ReceiverAuthType0
        from ..models.receiver_auth_type_1 import ReceiverAuthType1
        from ..models.receiver_auth_type_2 import ReceiverAuthType2
        from ..models.receiver_auth_type_3 import ReceiverAuthType3
        from ..models.receiver_auth_type_4 import ReceiverAuthType4
        from ..models.tls_options import TlsOptions
        from ..models.webhook_patch_in_filter_type_0 import WebhookPatchInFilterType0
        from ..models.webhook_patch_in_headers_type_0 import WebhookPatchInHeadersType0
        from ..models.webhook_patch_in_metadata_type_0 import (
            WebhookPatchInMetadataType0,
        )

        url: None | str | Unset
        if isinstance(self.url, Unset):
            url = UNSET
        else:
            url = self.url

        events: list[str] | None | Unset
        if isinstance(self.events, Unset):
            events = UNSET
        elif isinstance(self.events, list):
            events = self.events

        else:
            events = self.events

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        enabled: bool | None | Unset
        if isinstance(self.enabled, Unset):
            enabled = UNSET
        else:
            enabled = self.enabled

        account_ids: list[str] | None | Unset
        if isinstance(self.account_ids, Unset):
            account_ids = UNSET
        elif isinstance(self.account_ids, list):
            account_ids = self.account_ids

        else:
            account_ids = self.account_ids

        metadata: dict[str, Any] | None | Unset
        if isinstance(self.metadata, Unset):
            metadata = UNSET
        elif isinstance(self.metadata, WebhookPatchInMetadataType0):
            metadata = self.metadata.to_dict()
        else:
            metadata = self.metadata

        headers: dict[str, Any] | None | Unset
        if isinstance(self.headers, Unset):
            headers = UNSET
        elif isinstance(self.headers, WebhookPatchInHeadersType0):
            headers = self.headers.to_dict()
        else:
            headers = self.headers

        auth: dict[str, Any] | None | Unset
        if isinstance(self.auth, Unset):
            auth = UNSET
        elif (
            isinstance(self.auth, ReceiverAuthType0)
            or isinstance(self.auth, ReceiverAuthType1)
            or isinstance(self.auth, ReceiverAuthType2)
            or isinstance(self.auth, ReceiverAuthType3)
            or isinstance(self.auth, ReceiverAuthType4)
        ):
            auth = self.auth.to_dict()
        else:
            auth = self.auth

        tls: dict[str, Any] | None | Unset
        if isinstance(self.tls, Unset):
            tls = UNSET
        elif isinstance(self.tls, TlsOptions):
            tls = self.tls.to_dict()
        else:
            tls = self.tls

        timeout_seconds: int | None | Unset
        if isinstance(self.timeout_seconds, Unset):
            timeout_seconds = UNSET
        else:
            timeout_seconds = self.timeout_seconds

        filter_: dict[str, Any] | None | Unset
        if isinstance(self.filter_, Unset):
            filter_ = UNSET
        elif isinstance(self.filter_, WebhookPatchInFilterType0):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        rate_limit: int | None | Unset
        if isinstance(self.rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = self.rate_limit

        ordering: None | str | Unset
        if isinstance(self.ordering, Unset):
            ordering = UNSET
        elif isinstance(self.ordering, Ordering):
            ordering = self.ordering.value
        else:
            ordering = self.ordering

        signature_scheme: None | str | Unset
        if isinstance(self.signature_scheme, Unset):
            signature_scheme = UNSET
        elif isinstance(self.signature_scheme, SignatureScheme):
            signature_scheme = self.signature_scheme.value
        else:
            signature_scheme = self.signature_scheme

        field_dict: dict[str, Any] = {}

        field_dict.update({})
        if url is not UNSET:
            field_dict["url"] = url
        if events is not UNSET:
            field_dict["events"] = events
        if description is not UNSET:
            field_dict["description"] = description
        if enabled is not UNSET:
            field_dict["enabled"] = enabled
        if account_ids is not UNSET:
            field_dict["account_ids"] = account_ids
        if metadata is not UNSET:
            field_dict["metadata"] = metadata
        if headers is not UNSET:
            field_dict["headers"] = headers
        if auth is not UNSET:
            field_dict["auth"] = auth
        if tls is not UNSET:
            field_dict["tls"] = tls
        if timeout_seconds is not UNSET:
            field_dict["timeout_seconds"] = timeout_seconds
        if filter_ is not UNSET:
            field_dict["filter"] = filter_
        if rate_limit is not UNSET:
            field_dict["rate_limit"] = rate_limit
        if ordering is not UNSET:
            field_dict["ordering"] = ordering
        if signature_scheme is not UNSET:
            field_dict["signature_scheme"] = signature_scheme

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.receiver_auth_type_0 import ReceiverAuthType0
        from ..models.receiver_auth_type_1 import ReceiverAuthType1
        from ..models.receiver_auth_type_2 import ReceiverAuthType2
        from ..models.receiver_auth_type_3 import ReceiverAuthType3
        from ..models.receiver_auth_type_4 import ReceiverAuthType4
        from ..models.tls_options import TlsOptions
        from ..models.webhook_patch_in_filter_type_0 import WebhookPatchInFilterType0
        from ..models.webhook_patch_in_headers_type_0 import WebhookPatchInHeadersType0
        from ..models.webhook_patch_in_metadata_type_0 import (
            WebhookPatchInMetadataType0,
        )

        d = dict(src_dict)

        def _parse_url(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        url = _parse_url(d.pop("url", UNSET))

        def _parse_events(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                events_type_0 = cast(list[str], data)

                return events_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        events = _parse_events(d.pop("events", UNSET))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        def _parse_enabled(data: object) -> bool | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(bool | None | Unset, data)

        enabled = _parse_enabled(d.pop("enabled", UNSET))

        def _parse_account_ids(data: object) -> list[str] | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, list):
                    raise TypeError()
                account_ids_type_0 = cast(list[str], data)

                return account_ids_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(list[str] | None | Unset, data)

        account_ids = _parse_account_ids(d.pop("account_ids", UNSET))

        def _parse_metadata(data: object) -> None | Unset | WebhookPatchInMetadataType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                metadata_type_0 = WebhookPatchInMetadataType0.from_dict(data)

                return metadata_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WebhookPatchInMetadataType0, data)

        metadata = _parse_metadata(d.pop("metadata", UNSET))

        def _parse_headers(data: object) -> None | Unset | WebhookPatchInHeadersType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                headers_type_0 = WebhookPatchInHeadersType0.from_dict(data)

                return headers_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WebhookPatchInHeadersType0, data)

        headers = _parse_headers(d.pop("headers", UNSET))

        def _parse_auth(
            data: object,
        ) -> (
            None
            | ReceiverAuthType0
            | ReceiverAuthType1
            | ReceiverAuthType2
            | ReceiverAuthType3
            | ReceiverAuthType4
            | Unset
        ):
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_receiver_auth_type_0 = ReceiverAuthType0.from_dict(
                    data
                )

                return componentsschemas_receiver_auth_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_receiver_auth_type_1 = ReceiverAuthType1.from_dict(
                    data
                )

                return componentsschemas_receiver_auth_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_receiver_auth_type_2 = ReceiverAuthType2.from_dict(
                    data
                )

                return componentsschemas_receiver_auth_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_receiver_auth_type_3 = ReceiverAuthType3.from_dict(
                    data
                )

                return componentsschemas_receiver_auth_type_3
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_receiver_auth_type_4 = ReceiverAuthType4.from_dict(
                    data
                )

                return componentsschemas_receiver_auth_type_4
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(
                None
                | ReceiverAuthType0
                | ReceiverAuthType1
                | ReceiverAuthType2
                | ReceiverAuthType3
                | ReceiverAuthType4
                | Unset,
                data,
            )

        auth = _parse_auth(d.pop("auth", UNSET))

        def _parse_tls(data: object) -> None | TlsOptions | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                tls_type_1 = TlsOptions.from_dict(data)

                return tls_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | TlsOptions | Unset, data)

        tls = _parse_tls(d.pop("tls", UNSET))

        def _parse_timeout_seconds(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        timeout_seconds = _parse_timeout_seconds(d.pop("timeout_seconds", UNSET))

        def _parse_filter_(data: object) -> None | Unset | WebhookPatchInFilterType0:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = WebhookPatchInFilterType0.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Unset | WebhookPatchInFilterType0, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        def _parse_rate_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit", UNSET))

        def _parse_ordering(data: object) -> None | Ordering | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                ordering_type_1 = Ordering(data)

                return ordering_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | Ordering | Unset, data)

        ordering = _parse_ordering(d.pop("ordering", UNSET))

        def _parse_signature_scheme(data: object) -> None | SignatureScheme | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                signature_scheme_type_1 = SignatureScheme(data)

                return signature_scheme_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(None | SignatureScheme | Unset, data)

        signature_scheme = _parse_signature_scheme(d.pop("signature_scheme", UNSET))

        webhook_patch_in = cls(
            url=url,
            events=events,
            description=description,
            enabled=enabled,
            account_ids=account_ids,
            metadata=metadata,
            headers=headers,
            auth=auth,
            tls=tls,
            timeout_seconds=timeout_seconds,
            filter_=filter_,
            rate_limit=rate_limit,
            ordering=ordering,
            signature_scheme=signature_scheme,
        )

        return webhook_patch_in

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.mode import Mode
from ..models.ordering import Ordering
from ..models.signature_scheme import SignatureScheme
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.health_out import HealthOut
    from ..models.list_out_webhook_out_data_item_filter_type_0 import (
        ListOutWebhookOutDataItemFilterType0,
    )
    from ..models.list_out_webhook_out_data_item_headers import (
        ListOutWebhookOutDataItemHeaders,
    )
    from ..models.list_out_webhook_out_data_item_metadata import (
        ListOutWebhookOutDataItemMetadata,
    )
    from ..models.receiver_auth_type_0 import ReceiverAuthType0
    from ..models.receiver_auth_type_1 import ReceiverAuthType1
    from ..models.receiver_auth_type_2 import ReceiverAuthType2
    from ..models.receiver_auth_type_3 import ReceiverAuthType3
    from ..models.receiver_auth_type_4 import ReceiverAuthType4
    from ..models.tls_options import TlsOptions


T = TypeVar("T", bound="ListOutWebhookOutDataItem")


@_attrs_define
class ListOutWebhookOutDataItem:
    """
    Attributes:
        id (str): A webhook id.
        tenant_id (str): A tenant id.
        url (str):
        events (list[str]):
        enabled (bool):
        account_ids (list[str]):
        metadata (ListOutWebhookOutDataItemMetadata):
        secret (str): The full secret at creation and rotation only; masked everywhere else.
        created_at (datetime.datetime):
        updated_at (datetime.datetime):
        health (HealthOut): The endpoint's circuit breaker and recent record.
        description (None | str | Unset):
        headers (ListOutWebhookOutDataItemHeaders | Unset): Headers sent with every request to the endpoint.
        auth (None | ReceiverAuthType0 | ReceiverAuthType1 | ReceiverAuthType2 | ReceiverAuthType3 | ReceiverAuthType4 |
            Unset):
        tls (None | TlsOptions | Unset):
        timeout_seconds (int | None | Unset): This webhook's per-attempt timeout (none: the deployment's).
        filter_ (ListOutWebhookOutDataItemFilterType0 | None | Unset): The payload filter (none: every event its types
            and accounts select).
        rate_limit (int | None | Unset): The rate limit set (deliveries a second; none: unlimited).
        rate_limit_in_force (int | None | Unset): The rate the engine uses now: the limit, or less while the receiver's
            429s hold it
            down (it climbs back with successes).
        ordering (Ordering | Unset): In what order a webhook's deliveries go.
        last_triggered_at (datetime.datetime | None | Unset):
        disabled_reason (None | str | Unset): Why Hookline disabled the webhook (failing for too long); cleared by re-
            enabling it.
        disabled_at (datetime.datetime | None | Unset):
        signature_scheme (SignatureScheme | Unset): How a webhook's deliveries are signed.
        account_type (Mode | Unset): Live or test: every credential has one, and sees and delivers only objects of its
            own
            (seed 002's `account_type`). Test objects live in their own namespace, see
            [`crate::ids::TEST_MODE_SUFFIX`].
    """

    id: str
    tenant_id: str
    url: str
    events: list[str]
    enabled: bool
    account_ids: list[str]
    metadata: ListOutWebhookOutDataItemMetadata
    secret: str
    created_at: datetime.datetime
    updated_at: datetime.datetime
    health: HealthOut
    description: None | str | Unset = UNSET
    headers: ListOutWebhookOutDataItemHeaders | Unset = UNSET
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
    filter_: ListOutWebhookOutDataItemFilterType0 | None | Unset = UNSET
    rate_limit: int | None | Unset = UNSET
    rate_limit_in_force: int | None | Unset = UNSET
    ordering: Ordering | Unset = UNSET
    last_triggered_at: datetime.datetime | None | Unset = UNSET
    disabled_reason: None | str | Unset = UNSET
    disabled_at: datetime.datetime | None | Unset = UNSET
    signature_scheme: SignatureScheme | Unset = UNSET
    account_type: Mode | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.list_out_webhook_out_data_item_filter_type_0 import (
            ListOutWebhookOutDataItemFilterType0,
        )
        from ..models.receiver_auth_type_0 import ReceiverAuthType0
        from ..models.receiver_auth_type_1 import ReceiverAuthType1
        from ..models.receiver_auth_type_2 import ReceiverAuthType2
        from ..models.receiver_auth_type_3 import ReceiverAuthType3
        from ..models.receiver_auth_type_4 import ReceiverAuthType4
        from ..models.tls_options import TlsOptions

        id = self.id

        tenant_id = self.tenant_id

        url = self.url

        events = self.events

        enabled = self.enabled

        account_ids = self.account_ids

        metadata = self.metadata.to_dict()

        secret = self.secret

        created_at = self.created_at.isoformat()

        updated_at = self.updated_at.isoformat()

        health = self.health.to_dict()

        description: None | str | Unset
        if isinstance(self.description, Unset):
            description = UNSET
        else:
            description = self.description

        headers: dict[str, Any] | Unset = UNSET
        if not isinstance(self.headers, Unset):
            headers = self.headers.to_dict()

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
        elif isinstance(self.filter_, ListOutWebhookOutDataItemFilterType0):
            filter_ = self.filter_.to_dict()
        else:
            filter_ = self.filter_

        rate_limit: int | None | Unset
        if isinstance(self.rate_limit, Unset):
            rate_limit = UNSET
        else:
            rate_limit = self.rate_limit

        rate_limit_in_force: int | None | Unset
        if isinstance(self.rate_limit_in_force, Unset):
            rate_limit_in_force = UNSET
        else:
            rate_limit_in_force = self.rate_limit_in_force

        ordering: str | Unset = UNSET
        if not isinstance(self.ordering, Unset):
            ordering = self.ordering.value

        last_triggered_at: None | str | Unset
        if isinstance(self.last_triggered_at, Unset):
            last_triggered_at = UNSET
        elif isinstance(self.last_triggered_at, datetime.datetime):
            last_triggered_at = self.last_triggered_at.isoformat()
        else:
            last_triggered_at = self.last_triggered_at

        disabled_reason: None | str | Unset
        if isinstance(self.disabled_reason, Unset):
            disabled_reason = UNSET
        else:
            disabled_reason = self.disabled_reason

        disabled_at: None | str | Unset
        if isinstance(self.disabled_at, Unset):
            disabled_at = UNSET
        elif isinstance(self.disabled_at, datetime.datetime):
            disabled_at = self.disabled_at.isoformat()
        else:
            disabled_at = self.disabled_at

        signature_scheme: str | Unset = UNSET
        if not isinstance(self.signature_scheme, Unset):
            signature_scheme = self.signature_scheme.value

        account_type: str | Unset = UNSET
        if not isinstance(self.account_type, Unset):
            account_type = self.account_type.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "tenant_id": tenant_id,
                "url": url,
                "events": events,
                "enabled": enabled,
                "account_ids": account_ids,
                "metadata": metadata,
                "secret": secret,
                "created_at": created_at,
                "updated_at": updated_at,
                "health": health,
            }
        )
        if description is not UNSET:
            field_dict["description"] = description
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
        if rate_limit_in_force is not UNSET:
            field_dict["rate_limit_in_force"] = rate_limit_in_force
        if ordering is not UNSET:
            field_dict["ordering"] = ordering
        if last_triggered_at is not UNSET:
            field_dict["last_triggered_at"] = last_triggered_at
        if disabled_reason is not UNSET:
            field_dict["disabled_reason"] = disabled_reason
        if disabled_at is not UNSET:
            field_dict["disabled_at"] = disabled_at
        if signature_scheme is not UNSET:
            field_dict["signature_scheme"] = signature_scheme
        if account_type is not UNSET:
            field_dict["account_type"] = account_type

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.health_out import HealthOut
        from ..models.list_out_webhook_out_data_item_filter_type_0 import (
            ListOutWebhookOutDataItemFilterType0,
        )
        from ..models.list_out_webhook_out_data_item_headers import (
            ListOutWebhookOutDataItemHeaders,
        )
        from ..models.list_out_webhook_out_data_item_metadata import (
            ListOutWebhookOutDataItemMetadata,
        )
        from ..models.receiver_auth_type_0 import ReceiverAuthType0
        from ..models.receiver_auth_type_1 import ReceiverAuthType1
        from ..models.receiver_auth_type_2 import ReceiverAuthType2
        from ..models.receiver_auth_type_3 import ReceiverAuthType3
        from ..models.receiver_auth_type_4 import ReceiverAuthType4
        from ..models.tls_options import TlsOptions

        d = dict(src_dict)
        id = d.pop("id")

        tenant_id = d.pop("tenant_id")

        url = d.pop("url")

        events = cast(list[str], d.pop("events"))

        enabled = d.pop("enabled")

        account_ids = cast(list[str], d.pop("account_ids"))

        metadata = ListOutWebhookOutDataItemMetadata.from_dict(d.pop("metadata"))

        secret = d.pop("secret")

        created_at = datetime.datetime.fromisoformat(d.pop("created_at"))

        updated_at = datetime.datetime.fromisoformat(d.pop("updated_at"))

        health = HealthOut.from_dict(d.pop("health"))

        def _parse_description(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        description = _parse_description(d.pop("description", UNSET))

        _headers = d.pop("headers", UNSET)
        headers: ListOutWebhookOutDataItemHeaders | Unset
        if isinstance(_headers, Unset):
            headers = UNSET
        else:
            headers = ListOutWebhookOutDataItemHeaders.from_dict(_headers)

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

        def _parse_filter_(
            data: object,
        ) -> ListOutWebhookOutDataItemFilterType0 | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                filter_type_0 = ListOutWebhookOutDataItemFilterType0.from_dict(data)

                return filter_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ListOutWebhookOutDataItemFilterType0 | None | Unset, data)

        filter_ = _parse_filter_(d.pop("filter", UNSET))

        def _parse_rate_limit(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit = _parse_rate_limit(d.pop("rate_limit", UNSET))

        def _parse_rate_limit_in_force(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        rate_limit_in_force = _parse_rate_limit_in_force(
            d.pop("rate_limit_in_force", UNSET)
        )

        _ordering = d.pop("ordering", UNSET)
        ordering: Ordering | Unset
        if isinstance(_ordering, Unset):
            ordering = UNSET
        else:
            ordering = Ordering(_ordering)

        def _parse_last_triggered_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                last_triggered_at_type_0 = datetime.datetime.fromisoformat(data)

                return last_triggered_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        last_triggered_at = _parse_last_triggered_at(d.pop("last_triggered_at", UNSET))

        def _parse_disabled_reason(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        disabled_reason = _parse_disabled_reason(d.pop("disabled_reason", UNSET))

        def _parse_disabled_at(data: object) -> datetime.datetime | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                disabled_at_type_0 = datetime.datetime.fromisoformat(data)

                return disabled_at_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(datetime.datetime | None | Unset, data)

        disabled_at = _parse_disabled_at(d.pop("disabled_at", UNSET))

        _signature_scheme = d.pop("signature_scheme", UNSET)
        signature_scheme: SignatureScheme | Unset
        if isinstance(_signature_scheme, Unset):
            signature_scheme = UNSET
        else:
            signature_scheme = SignatureScheme(_signature_scheme)

        _account_type = d.pop("account_type", UNSET)
        account_type: Mode | Unset
        if isinstance(_account_type, Unset):
            account_type = UNSET
        else:
            account_type = Mode(_account_type)

        list_out_webhook_out_data_item = cls(
            id=id,
            tenant_id=tenant_id,
            url=url,
            events=events,
            enabled=enabled,
            account_ids=account_ids,
            metadata=metadata,
            secret=secret,
            created_at=created_at,
            updated_at=updated_at,
            health=health,
            description=description,
            headers=headers,
            auth=auth,
            tls=tls,
            timeout_seconds=timeout_seconds,
            filter_=filter_,
            rate_limit=rate_limit,
            rate_limit_in_force=rate_limit_in_force,
            ordering=ordering,
            last_triggered_at=last_triggered_at,
            disabled_reason=disabled_reason,
            disabled_at=disabled_at,
            signature_scheme=signature_scheme,
            account_type=account_type,
        )

        list_out_webhook_out_data_item.additional_properties = d
        return list_out_webhook_out_data_item

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

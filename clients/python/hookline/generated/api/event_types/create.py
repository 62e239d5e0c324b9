from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error_out import ErrorOut
from ...models.event_type_in import EventTypeIn
from ...models.event_type_out import EventTypeOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: EventTypeIn,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/event-types",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ErrorOut | EventTypeOut | None:
    if response.status_code == 201:
        response_201 = EventTypeOut.from_dict(response.json())

        return response_201

    if response.status_code == 400:
        response_400 = ErrorOut.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = ErrorOut.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = ErrorOut.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = ErrorOut.from_dict(response.json())

        return response_404

    if response.status_code == 409:
        response_409 = ErrorOut.from_dict(response.json())

        return response_409

    if response.status_code == 413:
        response_413 = ErrorOut.from_dict(response.json())

        return response_413

    if response.status_code == 422:
        response_422 = ErrorOut.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = ErrorOut.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = ErrorOut.from_dict(response.json())

        return response_500

    if response.status_code == 503:
        response_503 = ErrorOut.from_dict(response.json())

        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[ErrorOut | EventTypeOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EventTypeIn,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorOut | EventTypeOut]:
    """
    Args:
        idempotency_key (str | Unset):
        body (EventTypeIn):  Example: {'description': 'An invoice was paid', 'example':
            {'invoice_id': 'inv_1'}, 'name': 'invoice.paid', 'schema': {'properties': {'invoice_id':
            {'type': 'string'}}, 'required': ['invoice_id'], 'type': 'object'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | EventTypeOut]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: EventTypeIn,
    idempotency_key: str | Unset = UNSET,
) -> ErrorOut | EventTypeOut | None:
    """
    Args:
        idempotency_key (str | Unset):
        body (EventTypeIn):  Example: {'description': 'An invoice was paid', 'example':
            {'invoice_id': 'inv_1'}, 'name': 'invoice.paid', 'schema': {'properties': {'invoice_id':
            {'type': 'string'}}, 'required': ['invoice_id'], 'type': 'object'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | EventTypeOut
    """

    return sync_detailed(
        client=client,
        body=body,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: EventTypeIn,
    idempotency_key: str | Unset = UNSET,
) -> Response[ErrorOut | EventTypeOut]:
    """
    Args:
        idempotency_key (str | Unset):
        body (EventTypeIn):  Example: {'description': 'An invoice was paid', 'example':
            {'invoice_id': 'inv_1'}, 'name': 'invoice.paid', 'schema': {'properties': {'invoice_id':
            {'type': 'string'}}, 'required': ['invoice_id'], 'type': 'object'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorOut | EventTypeOut]
    """

    kwargs = _get_kwargs(
        body=body,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: EventTypeIn,
    idempotency_key: str | Unset = UNSET,
) -> ErrorOut | EventTypeOut | None:
    """
    Args:
        idempotency_key (str | Unset):
        body (EventTypeIn):  Example: {'description': 'An invoice was paid', 'example':
            {'invoice_id': 'inv_1'}, 'name': 'invoice.paid', 'schema': {'properties': {'invoice_id':
            {'type': 'string'}}, 'required': ['invoice_id'], 'type': 'object'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorOut | EventTypeOut
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            idempotency_key=idempotency_key,
        )
    ).parsed

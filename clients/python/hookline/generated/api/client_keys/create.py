from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.client_key_in import ClientKeyIn
from ...models.client_key_out import ClientKeyOut
from ...models.error_out import ErrorOut
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: ClientKeyIn,
    tenant_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(idempotency_key, Unset):
        headers["Idempotency-Key"] = idempotency_key

    params: dict[str, Any] = {}

    params["tenant_id"] = tenant_id

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/v1/client-keys",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> ClientKeyOut | ErrorOut | None:
    if response.status_code == 201:
        response_201 = ClientKeyOut.from_dict(response.json())

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
) -> Response[ClientKeyOut | ErrorOut]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ClientKeyIn,
    tenant_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ClientKeyOut | ErrorOut]:
    """
    Args:
        tenant_id (str | Unset):
        idempotency_key (str | Unset):
        body (ClientKeyIn):  Example: {'algorithm': 'ed25519', 'key_id': 'billing-service-2026',
            'public_key': '-----BEGIN PUBLIC
            KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n--
            ---END PUBLIC KEY-----\\n', 'scopes': ['webhooks:write', 'events:publish']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ClientKeyOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        body=body,
        tenant_id=tenant_id,
        idempotency_key=idempotency_key,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: ClientKeyIn,
    tenant_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ClientKeyOut | ErrorOut | None:
    """
    Args:
        tenant_id (str | Unset):
        idempotency_key (str | Unset):
        body (ClientKeyIn):  Example: {'algorithm': 'ed25519', 'key_id': 'billing-service-2026',
            'public_key': '-----BEGIN PUBLIC
            KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n--
            ---END PUBLIC KEY-----\\n', 'scopes': ['webhooks:write', 'events:publish']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ClientKeyOut | ErrorOut
    """

    return sync_detailed(
        client=client,
        body=body,
        tenant_id=tenant_id,
        idempotency_key=idempotency_key,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: ClientKeyIn,
    tenant_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> Response[ClientKeyOut | ErrorOut]:
    """
    Args:
        tenant_id (str | Unset):
        idempotency_key (str | Unset):
        body (ClientKeyIn):  Example: {'algorithm': 'ed25519', 'key_id': 'billing-service-2026',
            'public_key': '-----BEGIN PUBLIC
            KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n--
            ---END PUBLIC KEY-----\\n', 'scopes': ['webhooks:write', 'events:publish']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ClientKeyOut | ErrorOut]
    """

    kwargs = _get_kwargs(
        body=body,
        tenant_id=tenant_id,
        idempotency_key=idempotency_key,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: ClientKeyIn,
    tenant_id: str | Unset = UNSET,
    idempotency_key: str | Unset = UNSET,
) -> ClientKeyOut | ErrorOut | None:
    """
    Args:
        tenant_id (str | Unset):
        idempotency_key (str | Unset):
        body (ClientKeyIn):  Example: {'algorithm': 'ed25519', 'key_id': 'billing-service-2026',
            'public_key': '-----BEGIN PUBLIC
            KEY-----\\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\\n--
            ---END PUBLIC KEY-----\\n', 'scopes': ['webhooks:write', 'events:publish']}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ClientKeyOut | ErrorOut
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            tenant_id=tenant_id,
            idempotency_key=idempotency_key,
        )
    ).parsed

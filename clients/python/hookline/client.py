"""A generated client that retries what the API asks to be retried, and raises on errors."""

from __future__ import annotations

import email.utils
import time
from typing import Any, Callable, Iterator

import httpx

from .generated import AuthenticatedClient
from .generated.models.error_out import ErrorOut
from .generated.types import Response

# Answers that mean "not done, try again later": rate limited, or storage busy for a moment.
RETRIED = frozenset({429, 503})


class RetryTransport(httpx.BaseTransport):
    """Sends a request answered 429 or 503 again, up to `attempts` times in all, after the
    `Retry-After` the API gave (at most `max_wait` seconds), or a doubling pause without one.
    Hookline answers both before doing anything, so a retried request is not done twice."""

    def __init__(self, attempts: int = 4, max_wait: float = 30.0,
                 sleep: Callable[[float], None] = time.sleep,
                 inner: httpx.BaseTransport | None = None):
        self.attempts, self.max_wait, self.sleep = attempts, max_wait, sleep
        self.inner = inner or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pause = 0.5
        for attempt in range(1, self.attempts + 1):
            response = self.inner.handle_request(request)
            if response.status_code not in RETRIED or attempt == self.attempts:
                return response
            wait = retry_after(response.headers.get("retry-after"))
            response.read()
            response.close()
            self.sleep(min(self.max_wait, pause if wait is None else wait))
            pause *= 2
        return response

    def close(self) -> None:
        self.inner.close()


def retry_after(value: str | None) -> float | None:
    """`Retry-After` in seconds: a number, or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, when.timestamp() - time.time()) if when else None


def connect(base_url: str, token: str, *, attempts: int = 4, timeout: float = 30.0,
            transport: httpx.BaseTransport | None = None) -> AuthenticatedClient:
    """A client of the API at `base_url` with an API key (or a portal session's token)."""
    return AuthenticatedClient(
        base_url=base_url.rstrip("/"),
        token=token,
        timeout=httpx.Timeout(timeout),
        httpx_args={"transport": RetryTransport(attempts=attempts, inner=transport)},
    )


class ApiError(Exception):
    """An answer that is not a success: its status and the API's error body
    (`code`, `message`, and `field` when one input was at fault)."""

    def __init__(self, status: int, body: ErrorOut | None, content: bytes = b""):
        self.status = status
        self.body = body
        detail = body.error if body is not None else None
        self.code = getattr(detail, "code", None)
        field = getattr(detail, "field", None)
        self.field = field if isinstance(field, str) else None
        message = getattr(detail, "message", None) or content.decode(errors="replace")
        super().__init__(f"HTTP {status}: {message}")


def unwrap(response: Response[Any]) -> Any:
    """The typed answer of a `sync_detailed` call, or an `ApiError`."""
    status = int(response.status_code)
    if status >= 400 or isinstance(response.parsed, ErrorOut):
        parsed = response.parsed if isinstance(response.parsed, ErrorOut) else None
        raise ApiError(status, parsed, response.content)
    return response.parsed


def each(operation: Any, client: AuthenticatedClient, *args: Any, **kwargs: Any) -> Iterator[Any]:
    """Every item of a listing, page after page (following `next_cursor`): `operation` is a
    generated listing module, e.g. `hookline.generated.api.webhooks.list_`."""
    cursor = kwargs.pop("cursor", None)
    while True:
        if cursor is not None:
            kwargs["cursor"] = cursor
        page = unwrap(operation.sync_detailed(*args, client=client, **kwargs))
        yield from page.data
        cursor = page.next_cursor if isinstance(page.next_cursor, str) else None
        if not cursor:
            return

"""Hookline's Python SDK.

`hookline.generated` is the typed client, generated from the API's OpenAPI contract (one module
per operation under `hookline.generated.api`, one class per schema under
`hookline.generated.models`); `clients/python/generate.sh` makes it again and CI fails when it
is not current. By hand, only what a generator cannot give: a client that retries 429 and 503
answers and raises on errors (`hookline.client`), paging through listings, and verifying
deliveries in each of Hookline's signature schemes (`hookline.verify`).
"""

from .client import ApiError, connect, each, unwrap
from .verify import Unverified, public_keys, verify

__all__ = ["ApiError", "Unverified", "connect", "each", "public_keys", "unwrap", "verify"]

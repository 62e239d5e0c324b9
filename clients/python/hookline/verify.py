"""Verifying a delivery as a receiver, in each of Hookline's signature schemes.

- `v1` (the default, Standard Webhooks HMAC-SHA256 with the endpoint's `whsec_` secret),
  through the `standardwebhooks` library;
- `v1a` (Ed25519 over the same content, `webhook-signature: v1a,…`, `webhook-key-id`), with the
  tenant's published public keys;
- RFC 9421 HTTP Message Signatures (`signature-input`, `signature`, `content-digest`), with the
  same keys, through the `http-message-signatures` library.

`verify` tells them apart by the headers and raises `Unverified` unless the delivery is
authentic and recent.
"""

from __future__ import annotations

import base64
import time
from typing import Mapping

import requests
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, algorithms
from http_message_signatures.resolvers import HTTPSignatureKeyResolver
from standardwebhooks.webhooks import Webhook as StandardWebhook

# How far a delivery's timestamp may be from now (as Standard Webhooks receivers allow).
TOLERANCE_SECONDS = 300
# What an RFC 9421 signature must cover for the delivery to be taken as Hookline's.
RFC9421_COMPONENTS = ("@method", "@target-uri", "content-digest", "webhook-id")


class Unverified(Exception):
    """The delivery is not authentic, not recent, or not signed in a scheme given the means."""


def public_keys(listing: object) -> dict[str, Ed25519PublicKey]:
    """The tenant's verification keys by key id, from `GET /v1/verification-keys` (or the
    public `GET /v1/tenants/{tenant_id}/verification-keys`): its parsed answer or its JSON."""
    keys = listing.to_dict()["keys"] if hasattr(listing, "to_dict") else listing["keys"]
    out = {}
    for k in keys:
        if k["algorithm"] != "ed25519" or not k["public_key"].startswith("whpk_"):
            raise Unverified(f"not an Ed25519 key: {k['key_id']}")
        raw = base64.b64decode(k["public_key"][len("whpk_"):])
        out[k["key_id"]] = Ed25519PublicKey.from_public_bytes(raw)
    return out


def verify(headers: Mapping[str, str], body: bytes, *, secret: str | None = None,
           keys: Mapping[str, Ed25519PublicKey] | None = None, url: str | None = None,
           now: float | None = None) -> str:
    """Checks a delivery (its headers, any case, and raw body); answers the scheme that
    verified it: `v1`, `v1a` or `rfc9421`. `secret` verifies `v1`; `keys` (see `public_keys`)
    verify `v1a` and, with the `url` the request was sent to, RFC 9421."""
    h = {k.lower(): v for k, v in headers.items()}
    if "signature-input" in h:
        if keys is None or url is None:
            raise Unverified("an RFC 9421 signature: pass the tenant's keys and the URL")
        _fresh(h, now)
        return _verify_rfc9421(h, body, keys, url)
    signatures = (h.get("webhook-signature") or "").split()
    if any(s.startswith("v1a,") for s in signatures):
        if keys is None:
            raise Unverified("a v1a signature: pass the tenant's keys")
        _fresh(h, now)
        return _verify_v1a(h, body, signatures, keys)
    if secret is None:
        raise Unverified("a v1 signature: pass the endpoint's secret")
    try:
        StandardWebhook(secret).verify(body, h)
    except Exception as e:  # the library raises its own error types
        raise Unverified(f"v1: {e}") from e
    return "v1"


def _fresh(h: Mapping[str, str], now: float | None) -> None:
    try:
        stamp = int(h["webhook-timestamp"])
    except (KeyError, ValueError) as e:
        raise Unverified("no webhook-timestamp") from e
    if abs((time.time() if now is None else now) - stamp) > TOLERANCE_SECONDS:
        raise Unverified("the timestamp is too far from now")


def _verify_v1a(h: Mapping[str, str], body: bytes, signatures: list[str],
                keys: Mapping[str, Ed25519PublicKey]) -> str:
    content = f"{h.get('webhook-id')}.{h.get('webhook-timestamp')}.".encode() + body
    # The active key signs first; during a rotation the retiring one signs too.
    for part in signatures:
        if not part.startswith("v1a,"):
            continue
        signature = base64.b64decode(part[len("v1a,"):])
        for key in keys.values():
            try:
                key.verify(signature, content)
                return "v1a"
            except InvalidSignature:
                continue
    raise Unverified("v1a: no signature verifies with the tenant's keys")


class _Keys(HTTPSignatureKeyResolver):
    def __init__(self, keys: Mapping[str, Ed25519PublicKey]):
        self.keys = keys

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey:
        if key_id not in self.keys:
            raise Unverified(f"rfc9421: unknown key {key_id}")
        return self.keys[key_id]

    def resolve_private_key(self, key_id: str) -> None:
        return None


def _verify_rfc9421(h: Mapping[str, str], body: bytes, keys: Mapping[str, Ed25519PublicKey],
                    url: str) -> str:
    message = requests.Request("POST", url, headers=dict(h), data=body).prepare()
    verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519, key_resolver=_Keys(keys))
    try:
        verifier.verify(message, body=body, require_components=RFC9421_COMPONENTS)
    except Unverified:
        raise
    except Exception as e:  # the library raises its own error types
        raise Unverified(f"rfc9421: {e}") from e
    return "rfc9421"

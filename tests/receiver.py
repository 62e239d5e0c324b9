"""A webhook receiver for Hookline's end-to-end tests and benchmark.

Every POST is checked with the official Standard Webhooks verifier (`standardwebhooks`) and with
`svix`, against each secret configured for its path, and answered with the next status of the
path's script (the last one repeats). The log of what arrived is served at GET /_log.

  POST /_config {"path": "/a", "secrets": ["whsec_..."], "script": [500, 500, 200],
                 "retry_after": null, "keys_url": null}
  GET  /_log    -> [{"path", "webhook_id", "timestamp", "verified_by", "svix_ok", "status",
                     "received_at", "body", "key_id", "v1a_verified", "rfc9421_verified",
                     "rfc9421_error"}]

With `keys_url` (a tenant's `/v1/tenants/{id}/verification-keys`), the public keys are fetched
from it for each request, as a receiver would, and checked independently of Hookline's code:
`v1a` signatures with a plain Ed25519 verification (`cryptography`) of "{id}.{timestamp}.{body}";
RFC 9421 signatures with the `http-message-signatures` package, which also checks the
`Content-Digest` against the body. `v1a_verified` lists the key ids that verify a `v1a`
signature; `rfc9421_verified` is the key id of a verified RFC 9421 signature.

Prints "port <n>" on its first line once listening (port 0 picks a free one). `--host=ADDR`
listens on another address than 127.0.0.1 (the `sam local` tests: one the containers reach).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import base64
import urllib.request

import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from http_message_signatures import HTTPMessageVerifier, algorithms
from http_message_signatures.resolvers import HTTPSignatureKeyResolver
from standardwebhooks.webhooks import Webhook as StandardWebhook
from svix.webhooks import Webhook as SvixWebhook

LOCK = threading.Lock()
CONFIG = {}   # path -> {"secrets": [...], "script": [...], "retry_after": int|None}
SERVED = {}   # path -> number of requests answered
LOG = []
QUIET = "--quiet" in sys.argv


def verify(secrets, body, headers):
    verified_by = []
    svix_ok = []
    for i, secret in enumerate(secrets):
        try:
            StandardWebhook(secret).verify(body, headers)
            verified_by.append(i)
        except Exception:
            pass
        try:
            SvixWebhook(secret).verify(body, headers)
            svix_ok.append(i)
        except Exception:
            pass
    return verified_by, svix_ok


def public_keys(url):
    with urllib.request.urlopen(url, timeout=5) as res:
        keys = json.load(res)["keys"]
    out = {}
    for k in keys:
        assert k["algorithm"] == "ed25519" and k["public_key"].startswith("whpk_"), k
        out[k["key_id"]] = Ed25519PublicKey.from_public_bytes(base64.b64decode(k["public_key"][5:]))
    return out


class KeyResolver(HTTPSignatureKeyResolver):
    def __init__(self, keys):
        self.keys = keys

    def resolve_public_key(self, key_id):
        return self.keys.get(key_id)

    def resolve_private_key(self, key_id):
        return None


def verify_public(keys_url, url, body, headers):
    keys = public_keys(keys_url)
    v1a = []
    content = f"{headers.get('webhook-id')}.{headers.get('webhook-timestamp')}.".encode() + body
    for part in (headers.get("webhook-signature") or "").split():
        if not part.startswith("v1a,"):
            continue
        sig = base64.b64decode(part[4:])
        for kid, key in keys.items():
            try:
                key.verify(sig, content)
                v1a.append(kid)
            except Exception:
                pass
    rfc9421, error = None, None
    if "signature-input" in headers:
        message = requests.Request("POST", url, headers=headers, data=body).prepare()
        verifier = HTTPMessageVerifier(signature_algorithm=algorithms.ED25519,
                                       key_resolver=KeyResolver(keys))
        try:
            results = verifier.verify(message, body=body, require_components=(
                "@method", "@target-uri", "content-digest", "webhook-id"))
            rfc9421 = results[0].parameters["keyid"]
        except Exception as e:
            error = repr(e)
    return v1a, rfc9421, error


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, payload, extra=None):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def read_body(self):
        n = int(self.headers.get("content-length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        if self.path == "/_log":
            with LOCK:
                return self.reply(200, LOG)
        self.reply(404, {"error": "unknown"})

    def do_POST(self):
        body = self.read_body()
        if self.path == "/_config":
            cfg = json.loads(body)
            with LOCK:
                CONFIG[cfg["path"]] = cfg
                SERVED[cfg["path"]] = 0
            return self.reply(200, {"ok": True})
        headers = {k.lower(): v for k, v in self.headers.items()}
        with LOCK:
            cfg = CONFIG.get(self.path, {"secrets": [], "script": [200]})
            n = SERVED.get(self.path, 0)
            SERVED[self.path] = n + 1
        if QUIET and not cfg["secrets"]:
            verified_by, svix_ok = [], []
        else:
            verified_by, svix_ok = verify(cfg["secrets"], body, headers)
        v1a, rfc9421, rfc9421_error = [], None, None
        if cfg.get("keys_url"):
            url = f"http://{headers.get('host')}{self.path}"
            v1a, rfc9421, rfc9421_error = verify_public(cfg["keys_url"], url, body, headers)
        script = cfg["script"]
        status = script[min(n, len(script) - 1)]
        entry = {
            "path": self.path,
            "webhook_id": headers.get("webhook-id"),
            "timestamp": headers.get("webhook-timestamp"),
            "signature": headers.get("webhook-signature"),
            "verified_by": verified_by,
            "svix_ok": svix_ok,
            "status": status,
            "received_at": time.time(),
            "body": None if QUIET else body.decode("utf-8", "replace"),
            "key_id": headers.get("webhook-key-id"),
            "v1a_verified": v1a,
            "rfc9421_verified": rfc9421,
            "rfc9421_error": rfc9421_error,
        }
        with LOCK:
            LOG.append(entry)
        extra = {}
        if cfg.get("retry_after") is not None and status in (429, 503):
            extra["retry-after"] = str(cfg["retry_after"])
        self.reply(status, {"received": True, "status": status}, extra)


def main():
    port, host = 0, "127.0.0.1"
    for arg in sys.argv[1:]:
        if arg.startswith("--port="):
            port = int(arg.split("=", 1)[1])
        if arg.startswith("--host="):
            host = arg.split("=", 1)[1]
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    print(f"port {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

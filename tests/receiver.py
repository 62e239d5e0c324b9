"""A webhook receiver for Hookline's end-to-end tests and benchmark.

Every POST is checked with the official Standard Webhooks verifier (`standardwebhooks`) and with
`svix`, against each secret configured for its path, and answered with the next status of the
path's script (the last one repeats). The log of what arrived is served at GET /_log.

  POST /_config {"path": "/a", "secrets": ["whsec_..."], "script": [500, 500, 200],
                 "retry_after": null}
  GET  /_log    -> [{"path", "webhook_id", "timestamp", "verified_by", "svix_ok", "status",
                     "received_at", "body"}]

Prints "port <n>" on its first line once listening (port 0 picks a free one). `--host=ADDR`
listens on another address than 127.0.0.1 (the `sam local` tests: one the containers reach).
"""

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

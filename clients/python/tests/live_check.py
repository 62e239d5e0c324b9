"""The SDK against a live Hookline: HOOKLINE_URL, and HOOKLINE_KEY (webhooks:write and
events:publish). Creates a webhook per signature scheme, lists them a page at a time, publishes,
reads the log, retries, verifies a delivery of each scheme (and refuses each tampered), and shows
a 422 as an ApiError naming the field and a 429 retried. Run by the test command
(tests/integration/sdk.rs); exits non-zero saying what it saw."""

import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

import hookline
from hookline.client import RetryTransport
from hookline.generated.api.deliveries import list_ as list_deliveries
from hookline.generated.api.deliveries import retry
from hookline.generated.api.events import create as publish
from hookline.generated.api.verification_keys import list_ as list_keys
from hookline.generated.api.webhooks import create, list_ as list_webhooks
from hookline.generated.models import EventIn, SignatureScheme, WebhookIn

RECEIVED = []


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["content-length"]))
        RECEIVED.append((self.path, dict(self.headers.items()), body))
        self.send_response(200)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def received(path, n):
    deadline = time.time() + 30
    while time.time() < deadline:
        got = [r for r in RECEIVED if r[0] == path]
        if len(got) >= n:
            return got
        time.sleep(0.1)
    raise AssertionError(f"{path}: {len(got)} of {n} requests arrived")


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = hookline.connect(os.environ["HOOKLINE_URL"], os.environ["HOOKLINE_KEY"])
    kind = f"sdk.check{int(time.time() * 1000)}"

    made = {}
    for scheme in SignatureScheme:
        w = hookline.unwrap(create.sync_detailed(client=client, body=WebhookIn(
            url=f"{base}/{scheme.value}", events=[kind], signature_scheme=scheme)))
        assert w.signature_scheme == scheme and w.secret.startswith("whsec_"), w
        made[scheme] = w
    listed = [w.id for w in hookline.each(list_webhooks, client, limit=1)]
    assert all(w.id in listed for w in made.values()), listed
    print(f"created {len(made)} webhooks; listed {len(listed)}, one a page")

    event = hookline.unwrap(publish.sync_detailed(client=client, body=EventIn(
        type_=kind, data={"order": 7})))
    hmac = made[SignatureScheme.HMAC_SHA256]
    received(f"/{SignatureScheme.HMAC_SHA256.value}", 1)
    deadline = time.time() + 20
    while True:
        log = hookline.unwrap(list_deliveries.sync_detailed(hmac.id, client=client))
        if log.data and log.data[0].status == "succeeded":
            break
        assert time.time() < deadline, log
        time.sleep(0.2)
    assert log.data[0].event_id == event.id, log
    hookline.unwrap(retry.sync_detailed(hmac.id, log.data[0].id, client=client))
    received(f"/{SignatureScheme.HMAC_SHA256.value}", 2)
    print("published, read the log, retried")

    keys = hookline.public_keys(hookline.unwrap(list_keys.sync_detailed(client=client)))
    for scheme, expected in [(SignatureScheme.HMAC_SHA256, "v1"),
                             (SignatureScheme.ED25519, "v1a"),
                             (SignatureScheme.HTTP_MESSAGE_SIGNATURES, "rfc9421")]:
        path = f"/{scheme.value}"
        _, headers, body = received(path, 1)[0]
        means = {"secret": made[scheme].secret, "keys": keys, "url": base + path}
        assert hookline.verify(headers, body, **means) == expected, scheme
        try:
            hookline.verify(headers, body.replace(b"7", b"8"), **means)
            raise AssertionError(f"{scheme}: a tampered body verified")
        except hookline.Unverified:
            pass
        print(f"{expected}: verified; tampered refused")

    try:
        hookline.unwrap(create.sync_detailed(client=client, body=WebhookIn(url="not a url")))
        raise AssertionError("a bad URL was accepted")
    except hookline.ApiError as e:
        assert (e.status, e.field) == (422, "url"), e

    # 429 with Retry-After, then 200: one call for the caller, two requests, the pause asked.
    answers, pauses = [httpx.Response(429, headers={"retry-after": "2"}), httpx.Response(200)], []
    transport = RetryTransport(sleep=pauses.append,
                               inner=httpx.MockTransport(lambda request: answers.pop(0)))
    with httpx.Client(transport=transport) as raw:
        assert raw.get("http://hookline.test/health").status_code == 200
    assert pauses == [2.0] and not answers, pauses
    print("a 422 names its field; a 429 is retried after its Retry-After")
    print("SDK OK")


if __name__ == "__main__":
    main()

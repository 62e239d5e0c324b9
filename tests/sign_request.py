"""Signs HTTP requests for the signed-request tests (RFC 9421) with the `http-message-signatures`
package, an implementation independent of Hookline's.

  sign_request.py keygen ALGORITHM       -> {"private": PEM, "public": PEM}
  sign_request.py sign < JSON            -> the headers to send, as JSON

The sign input: {"method", "url", "body" (text or null), "private" (PEM), "key_id", "algorithm"
("ed25519" or "ecdsa-p256-sha256"), "nonce" (optional), "created_offset" (seconds, optional),
"covered" (component ids, optional; the body's content-digest is added when there is a body),
"unsigned_body" (optional: send the body without signing its digest)}.
"""
import datetime
import json
import sys

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from http_message_signatures import HTTPMessageSigner, algorithms
from http_message_signatures.resolvers import HTTPSignatureKeyResolver

ALGORITHMS = {"ed25519": algorithms.ED25519, "ecdsa-p256-sha256": algorithms.ECDSA_P256_SHA256}


def keygen(algorithm):
    key = ed25519.Ed25519PrivateKey.generate() if algorithm == "ed25519" else ec.generate_private_key(ec.SECP256R1())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return {"private": private, "public": public}


class Resolver(HTTPSignatureKeyResolver):
    def __init__(self, pem):
        self.pem = pem.encode()

    def resolve_private_key(self, key_id):
        return self.pem

    def resolve_public_key(self, key_id):
        return None


def sign(spec):
    body = spec.get("body")
    req = requests.Request(spec["method"], spec["url"], data=body.encode() if body is not None else None)
    if body is not None:
        req.headers["Content-Type"] = "application/json"
    prepared = req.prepare()
    signer = HTTPMessageSigner(signature_algorithm=ALGORITHMS[spec["algorithm"]],
                               key_resolver=Resolver(spec["private"]))
    created = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
        seconds=spec.get("created_offset", 0))
    # "unsigned_body": the body is sent but its digest is neither made nor signed.
    signed_body = body.encode() if body is not None and not spec.get("unsigned_body") else None
    signer.sign(prepared, key_id=spec["key_id"], created=created, nonce=spec.get("nonce"), label="sig1",
                covered_component_ids=tuple(spec.get("covered", ["@method", "@target-uri"])),
                body=signed_body)
    return {k: v for k, v in prepared.headers.items()
            if k.lower() in ("signature", "signature-input", "content-digest", "content-type")}


if __name__ == "__main__":
    if sys.argv[1] == "keygen":
        print(json.dumps(keygen(sys.argv[2])))
    else:
        print(json.dumps(sign(json.load(sys.stdin))))

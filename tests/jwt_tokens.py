"""Mints the JWTs of the token tests with PyJWT (an implementation independent of Hookline's),
and the JWKS that Hookline is configured with.

Usage: jwt_tokens.py SECRET ISSUER AUDIENCE TENANT OTHER_TENANT
Prints {"jwks": {...}, "tokens": {name: token}} as JSON.
"""
import json
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import ECAlgorithm, OKPAlgorithm, RSAAlgorithm

secret, issuer, audience, tenant, other = sys.argv[1:6]
now = int(time.time())

rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
ec_key = ec.generate_private_key(ec.SECP256R1())
ed_key = ed25519.Ed25519PrivateKey.generate()
stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_jwk(algorithm, key, kid, alg):
    jwk = json.loads(algorithm.to_jwk(key.public_key()))
    jwk.update({"kid": kid, "alg": alg, "use": "sig"})
    return jwk


jwks = {
    "keys": [
        public_jwk(RSAAlgorithm, rsa_key, "rsa-1", "RS256"),
        public_jwk(ECAlgorithm, ec_key, "ec-1", "ES256"),
        public_jwk(OKPAlgorithm, ed_key, "ed-1", "EdDSA"),
    ]
}


def claims(**extra):
    c = {"iss": issuer, "aud": audience, "iat": now, "exp": now + 300, "sub": "svc-billing"}
    c.update(extra)
    return {k: v for k, v in c.items() if v is not None}


def hs(**extra):
    return jwt.encode(claims(**extra), secret, algorithm="HS256")


tokens = {
    "hs256": hs(tenant_id=tenant, scope="webhooks:write events:publish"),
    "rs256_read": jwt.encode(claims(tenant_id=tenant, scope="webhooks:read"), rsa_key,
                             algorithm="RS256", headers={"kid": "rsa-1"}),
    "es256": jwt.encode(claims(tenant_id=tenant, scope="webhooks:write"), ec_key,
                        algorithm="ES256", headers={"kid": "ec-1"}),
    "eddsa": jwt.encode(claims(tenant_id=tenant, scope="webhooks:write"), ed_key,
                        algorithm="EdDSA", headers={"kid": "ed-1"}),
    "expired": hs(tenant_id=tenant, scope="webhooks:write", exp=now - 600, iat=now - 900),
    "wrong_issuer": hs(tenant_id=tenant, scope="webhooks:write", iss="https://elsewhere.example"),
    "wrong_audience": hs(tenant_id=tenant, scope="webhooks:write", aud="another-service"),
    "wrong_key": jwt.encode(claims(tenant_id=tenant, scope="webhooks:write"), stranger,
                            algorithm="RS256", headers={"kid": "rsa-1"}),
    "other_tenant": hs(tenant_id=other, scope="webhooks:write"),
    "no_tenant": hs(scope="webhooks:write"),
    "admin_no_tenant": hs(scope="admin"),
}
print(json.dumps({"jwks": jwks, "tokens": tokens}))

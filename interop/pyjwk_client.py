#!/usr/bin/env python3
"""Verify tokens with PyJWT's PyJWKClient pointed at a JWKS URL.

Reads one JSON object from stdin:

    {"jwks_url": "http://127.0.0.1:PORT/.well-known/jwks.json",
     "tokens": ["<jwt>", ...]}

A fresh PyJWKClient (no cache carried between runs) fetches the key set,
picks each token's key by its `kid` and `jwt.decode` verifies it with the
algorithm the published key names. Writes one JSON line per token, in order:

    {"ok": true, "kid": "...", "alg": "...", "claims": {...}}
    {"ok": false, "error": "<str(exception)>", "error_type": "<class>"}
"""

import json
import sys

import jwt


def check(client, token):
    try:
        key = client.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=[key.algorithm_name],
            options={"verify_aud": False},
        )
        return {"ok": True, "kid": key.key_id, "alg": key.algorithm_name, "claims": claims}
    except Exception as e:  # noqa: BLE001 - report every failure to the test
        return {"ok": False, "error": str(e), "error_type": type(e).__name__}


def main():
    request = json.load(sys.stdin)
    client = jwt.PyJWKClient(request["jwks_url"], cache_keys=False, cache_jwk_set=False)
    for token in request["tokens"]:
        print(json.dumps(check(client, token)), flush=True)


if __name__ == "__main__":
    main()

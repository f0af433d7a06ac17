#!/usr/bin/env python3
"""A tiny static OpenID provider for bench/jwks.sh (BENCHMARKS.md, round 6).

    jwks_provider.py serve PORT        serve discovery + JWK Set on 127.0.0.1:PORT
    jwks_provider.py token ISSUER AUD SUB [KID]
                                       print an RS256 token signed with the fixture key
    jwks_provider.py stats PORT        print the fetch counters (JSON)
    jwks_provider.py publish PORT KID  publish one more key (the fixture's other RSA key)

Routes: /.well-known/openid-configuration (issuer http://127.0.0.1:PORT,
jwks_uri .../jwks.json), /jwks.json (query strings ignored: jwt-authorizer
adds ?kid=... to its refetches), /stats (fetch counts), POST /publish?kid=K.

The JWK Set holds two RSA-2048 keys, as a provider in the middle of a
rotation does: "bench-old" (tests/fixtures/keys/rsa2048_other) and
"bench-1" (tests/fixtures/keys/rsa2048), which signs. Cache-Control:
max-age=600, so neither server refreshes during a run.
"""
import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

KEYS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keys"
SIGNING_KID = "bench-1"


def b64url_uint(n):
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def rsa_jwk(kid, base):
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    numbers = load_pem_public_key((KEYS / f"{base}_public.pem").read_bytes()).public_numbers()
    return {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
            "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e)}


def token(issuer, audience, subject, kid=SIGNING_KID):
    import jwt

    now = int(time.time())
    claims = {"iss": issuer, "aud": audience, "sub": subject, "iat": now, "nbf": now,
              "exp": now + 3600, "email": subject}
    key = (KEYS / "rsa2048_private.pem").read_bytes()
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def serve(port):
    issuer = f"http://127.0.0.1:{port}"
    keys = [rsa_jwk("bench-old", "rsa2048_other"), rsa_jwk(SIGNING_KID, "rsa2048")]
    counts = {"discovery": 0, "jwks": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def answer(self, body, max_age=600):
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", f"public, max-age={max_age}")
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            path = urlsplit(self.path).path
            if path == "/.well-known/openid-configuration":
                with lock:
                    counts["discovery"] += 1
                self.answer({"issuer": issuer, "jwks_uri": f"{issuer}/jwks.json"})
            elif path == "/jwks.json":
                with lock:
                    counts["jwks"] += 1
                    body = {"keys": list(keys)}
                self.answer(body)
            elif path == "/stats":
                with lock:
                    self.answer(dict(counts), max_age=0)
            else:
                self.send_error(404)

        def do_POST(self):
            url = urlsplit(self.path)
            if url.path != "/publish":
                self.send_error(404)
                return
            kid = parse_qs(url.query).get("kid", ["bench-2"])[0]
            with lock:
                keys.append(rsa_jwk(kid, "rsa2048"))
            self.answer({"published": kid}, max_age=0)

        def log_message(self, *args):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def get(port, path, method="GET"):
    import http.client

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request(method, path)
    return c.getresponse().read().decode()


def main(argv):
    if len(argv) >= 2 and argv[0] == "serve":
        serve(int(argv[1]))
    elif len(argv) >= 4 and argv[0] == "token":
        print(token(*argv[1:5]))
    elif len(argv) >= 2 and argv[0] == "stats":
        print(get(int(argv[1]), "/stats"))
    elif len(argv) >= 3 and argv[0] == "publish":
        print(get(int(argv[1]), f"/publish?kid={argv[2]}", "POST"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])

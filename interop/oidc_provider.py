#!/usr/bin/env python3
"""A small local OpenID provider for tests, shaped like a Keycloak realm.

    python3 interop/oidc_provider.py [--port 0] [--realm master] [--audience ID]
                                     [--port-file PATH] [--max-age SECONDS] [-v]

It listens on 127.0.0.1 (port 0 picks a free one), prints ``READY <port>`` on
stdout once it accepts connections (and writes the port to --port-file if
given), and serves, for the realm R:

    GET /realms/R/.well-known/openid-configuration   discovery document
    GET /realms/R/protocol/openid-connect/certs      JWK Set

The issuer is ``http://127.0.0.1:<port>/realms/R``.  The key set holds the
RS256 signing key(s) (``kid``, ``alg``, ``use: "sig"``, ``x5c``...) followed,
as a Keycloak realm publishes it, by an RSA-OAEP encryption key (``use:
"enc"``) that a token verifier must skip.  The signing key comes first: the
reference's ``oidc`` example takes the first key of the set.  Both documents
carry ``Cache-Control: max-age=<--max-age>`` (default 300).

A control API on the same port drives the tests (JSON in, JSON out):

    POST /control/mint      {"claims": {...}, "drop": [...], "kid": ..., "alg": ...,
                             "key": ..., "headers": {...}}  ->  {"token": "<jwt>"}
        claims  merged over the defaults: iss (the issuer), aud (--audience),
                iat/exp (now, now + 300), sub, email, groups ["api-access"],
                and Keycloak's typ/azp/preferred_username/jti;
        drop    names of default claims to leave out;
        key     kid of the private key that signs (any key this provider made,
                published or not; default: the current signing key);
        kid     the "kid" header (default: the signing key's kid; null: none);
        alg     RS256 (default), RS384, RS512, PS256, PS384, PS512;
        headers extra header fields.
    POST /control/keys      {"publish": false} -> {"kid": ...}   a new RSA key
                            (unpublished keys sign "wrong signature" tokens)
    GET  /control/keys      -> {"signer": kid, "published": [kids],
                               "keys": {kid: {"public_pem": ..., "published": bool}}}
    POST /control/rotate    {"keep_old": true} -> {"kid": new, "published": [...]}
                            a new key, published first and used for signing from now
                            on; keep_old=false withdraws the previous ones
    POST /control/publish   {"kid": ..., "published": bool}  add/withdraw one key
    GET  /control/stats     -> {"discovery": n, "jwks": n}    requests served so far
    POST /control/stats/reset
    POST /control/down      discovery and JWKS answer 503
    POST /control/hang      discovery and JWKS requests are read and never answered
                            until /control/up (then answered normally)
    POST /control/up        back to normal
    POST /control/max-age   {"max_age": n}   the Cache-Control max-age sent from now on

Standard library plus PyJWT and cryptography (which the interop tooling needs
anyway).  Nothing here is part of the crate.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt as pyjwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

SIGNING_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
DEFAULT_AUDIENCE = "example.my-identity-server"
DEFAULT_LIFETIME = 300  # Keycloak's default access token lifespan


def b64url_uint(n: int) -> str:
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def self_signed_der(private_key, common_name: str) -> bytes:
    """A certificate for the key, as Keycloak puts in x5c (the realm name as CN)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(private_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(private_key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.DER)


class Key:
    """One RSA key pair with its kid and its public JWK."""

    def __init__(self, realm: str, use: str = "sig", alg: str = "RS256"):
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        self.use, self.alg = use, alg
        numbers = self.private.public_key().public_numbers()
        der = self_signed_der(self.private, realm)
        self.jwk = {
            "kid": self.kid, "kty": "RSA", "alg": alg, "use": use,
            "n": b64url_uint(numbers.n), "e": b64url_uint(numbers.e),
            "x5c": [base64.b64encode(der).decode()],
            "x5t": base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode(),
            "x5t#S256": base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode(),
        }

    def public_pem(self) -> str:
        return self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


class Provider:
    """The realm's state: keys, counters, availability. Thread-safe."""

    def __init__(self, realm: str, audience: str, max_age: int):
        self.realm, self.audience, self.max_age = realm, audience, max_age
        self.base = ""  # http://127.0.0.1:<port>, set once the socket is bound
        self.lock = threading.Lock()
        first = Key(realm)
        self.keys = {first.kid: first}
        self.published = [first.kid]  # signing keys in JWKS order
        self.signer = first.kid
        self.enc_key = Key(realm, use="enc", alg="RSA-OAEP")
        self.stats = {"discovery": 0, "jwks": 0}
        self.mode = "up"
        self.released = threading.Event()
        self.released.set()

    @property
    def issuer(self) -> str:
        return f"{self.base}/realms/{self.realm}"

    # -- documents ---------------------------------------------------------
    def discovery(self) -> dict:
        oidc = f"{self.issuer}/protocol/openid-connect"
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{oidc}/auth",
            "token_endpoint": f"{oidc}/token",
            "introspection_endpoint": f"{oidc}/token/introspect",
            "userinfo_endpoint": f"{oidc}/userinfo",
            "end_session_endpoint": f"{oidc}/logout",
            "jwks_uri": f"{oidc}/certs",
            "grant_types_supported": ["authorization_code", "implicit", "refresh_token",
                                      "password", "client_credentials"],
            "response_types_supported": ["code", "none", "id_token", "token", "id_token token",
                                         "code id_token", "code token", "code id_token token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": list(SIGNING_ALGS),
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic",
                                                      "client_secret_post", "client_secret_jwt"],
            "scopes_supported": ["openid", "email", "profile", "roles", "groups"],
            "claims_supported": ["aud", "sub", "iss", "auth_time", "name", "given_name",
                                 "family_name", "preferred_username", "email", "acr"],
        }

    def jwks(self) -> dict:
        with self.lock:
            keys = [self.keys[kid].jwk for kid in self.published]
        return {"keys": keys + [self.enc_key.jwk]}

    # -- control -------------------------------------------------------------
    def new_key(self, publish: bool) -> str:
        key = Key(self.realm)
        with self.lock:
            self.keys[key.kid] = key
            if publish:
                self.published.append(key.kid)
        return key.kid

    def rotate(self, keep_old: bool) -> dict:
        key = Key(self.realm)
        with self.lock:
            self.keys[key.kid] = key
            self.published = [key.kid] + (self.published if keep_old else [])
            self.signer = key.kid
            return {"kid": key.kid, "published": list(self.published)}

    def set_published(self, kid: str, published: bool) -> dict:
        with self.lock:
            if kid not in self.keys:
                raise ValueError(f"unknown kid {kid!r}")
            if published and kid not in self.published:
                self.published.append(kid)
            if not published and kid in self.published:
                self.published.remove(kid)
            return {"published": list(self.published)}

    def key_info(self) -> dict:
        with self.lock:
            return {"signer": self.signer, "published": list(self.published),
                    "enc_kid": self.enc_key.kid,
                    "keys": {kid: {"public_pem": k.public_pem(),
                                   "published": kid in self.published}
                             for kid, k in self.keys.items()}}

    def set_mode(self, mode: str) -> None:
        with self.lock:
            self.mode = mode
            if mode == "hang":
                self.released.clear()
            else:
                self.released.set()

    def count(self, what: str) -> None:
        with self.lock:
            self.stats[what] += 1

    def mint(self, spec: dict) -> str:
        now = int(time.time())
        claims = {
            "exp": now + DEFAULT_LIFETIME, "iat": now, "jti": str(uuid.uuid4()),
            "iss": self.issuer, "aud": self.audience, "sub": str(uuid.uuid4()),
            "typ": "Bearer", "azp": self.audience, "preferred_username": "alice",
            "email": "alice@example.test", "groups": ["api-access"],
        }
        for name in spec.get("drop", []):
            claims.pop(name, None)
        claims.update(spec.get("claims", {}))
        alg = spec.get("alg", "RS256")
        if alg not in SIGNING_ALGS:
            raise ValueError(f"alg must be one of {SIGNING_ALGS}")
        with self.lock:
            key = self.keys.get(spec.get("key", self.signer))
        if key is None:
            raise ValueError(f"unknown key {spec.get('key')!r}")
        headers = {"typ": "JWT", **spec.get("headers", {})}
        kid = spec.get("kid", key.kid)
        if kid is not None:
            headers["kid"] = kid
        return pyjwt.encode(claims, key.private, algorithm=alg, headers=headers)


class Handler(BaseHTTPRequestHandler):
    server_version = "oidc-provider"
    protocol_version = "HTTP/1.1"
    provider: Provider  # set on the subclass made in main()
    verbose = False

    def log_message(self, fmt, *args):  # quiet unless -v
        if self.verbose:
            super().log_message(fmt, *args)

    def reply(self, status: int, body, cache: bool = False) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if cache:
            self.send_header("Cache-Control", f"max-age={self.provider.max_age}")
        self.end_headers()
        self.wfile.write(data)

    def read_json(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        body = json.loads(raw) if raw.strip() else {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return body

    # -- public documents ----------------------------------------------------
    def do_GET(self):
        p = self.provider
        path = self.path.split("?", 1)[0]
        realm = f"/realms/{p.realm}"
        if path == f"{realm}/.well-known/openid-configuration":
            self.public_document("discovery", p.discovery)
        elif path == f"{realm}/protocol/openid-connect/certs":
            self.public_document("jwks", p.jwks)
        elif path == "/control/stats":
            with p.lock:
                self.reply(200, dict(p.stats))
        elif path == "/control/keys":
            self.reply(200, p.key_info())
        else:
            self.reply(404, {"error": "not found"})

    def public_document(self, what: str, make) -> None:
        p = self.provider
        p.count(what)
        if p.mode == "hang":
            p.released.wait()
        if p.mode == "down":
            self.reply(503, {"error": "temporarily_unavailable"})
            return
        self.reply(200, make(), cache=True)

    # -- control API -----------------------------------------------------------
    def do_POST(self):
        p = self.provider
        try:
            body = self.read_json()
            path = self.path.split("?", 1)[0]
            if path == "/control/mint":
                self.reply(200, {"token": p.mint(body)})
            elif path == "/control/keys":
                self.reply(200, {"kid": p.new_key(bool(body.get("publish", False)))})
            elif path == "/control/rotate":
                self.reply(200, p.rotate(bool(body.get("keep_old", True))))
            elif path == "/control/publish":
                self.reply(200, p.set_published(body["kid"], bool(body.get("published", True))))
            elif path == "/control/stats/reset":
                with p.lock:
                    p.stats = {k: 0 for k in p.stats}
                self.reply(200, {"ok": True})
            elif path in ("/control/down", "/control/hang", "/control/up"):
                p.set_mode(path.rsplit("/", 1)[1])
                self.reply(200, {"mode": p.mode})
            elif path == "/control/max-age":
                p.max_age = int(body["max_age"])
                self.reply(200, {"max_age": p.max_age})
            else:
                self.reply(404, {"error": "not found"})
        except (ValueError, KeyError, TypeError) as exc:
            self.reply(400, {"error": f"{type(exc).__name__}: {exc}"})


class Server(ThreadingHTTPServer):
    daemon_threads = True  # a hung request never blocks the exit
    allow_reuse_address = True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    ap.add_argument("--realm", default="master")
    ap.add_argument("--audience", default=DEFAULT_AUDIENCE,
                    help="default aud of minted tokens (the client id)")
    ap.add_argument("--max-age", type=int, default=300, help="Cache-Control max-age")
    ap.add_argument("--port-file", help="also write the port to this file")
    ap.add_argument("-v", "--verbose", action="store_true", help="log every request on stderr")
    opts = ap.parse_args(argv)

    provider = Provider(opts.realm, opts.audience, opts.max_age)
    handler = type("BoundHandler", (Handler,), {"provider": provider, "verbose": opts.verbose})
    server = Server(("127.0.0.1", opts.port), handler)
    port = server.server_address[1]
    provider.base = f"http://127.0.0.1:{port}"
    if opts.port_file:
        with open(opts.port_file + ".tmp", "w") as f:
            f.write(f"{port}\n")
        os.replace(opts.port_file + ".tmp", opts.port_file)
    print(f"READY {port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        provider.set_mode("up")  # let hung handlers finish
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

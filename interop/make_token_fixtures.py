#!/usr/bin/env python3
"""Record how the real Flask-JWT-Extended answers for a corpus of tokens.

Writes tests/fixtures/interop/tokens.json. Every expected outcome in that file was
produced by sending the token to a real Flask app (`make_app` below): nothing is written
by hand.

Usage:
  make_token_fixtures.py            write the file (refuses to overwrite it)
  make_token_fixtures.py --force    regenerate (new tokens: jti, iat ... change)
  make_token_fixtures.py --check    re-run the recorded cases against the installed
                                    library and report any outcome that changed

Requires flask-jwt-extended==4.7.1, PyJWT, cryptography, and the key fixtures made by
make_keys.py.

File format (a JSON object):
  "generator":  versions of the Python packages used
  "request":    how each case is sent (method, header)
  "cases":      list of
      name             unique name
      description      what the token is and how it was made
      config           Flask config options that differ from the defaults; JWT_PUBLIC_KEY
                       is a file name in tests/fixtures/keys/
      token            the token string (null: no Authorization header at all)
      route            /protected, /fresh, /refresh or /optional
      expected_status  HTTP status of the reference
      expected_body    parsed JSON body of the reference (null if not JSON, see
                       expected_text)
      expected_text    only when the body is not JSON (500 pages)
      reference_exception  only for 500s: the unhandled Python exception
  "rust_made":  tokens created by the Rust port, to be checked with
                verify_with_pyjwt.py (filled by the Rust side)
"""

import argparse
import base64
import copy
import hashlib
import hmac
import json
import math
import os
import sys
import warnings
from datetime import timedelta
from importlib.metadata import version

import jwt
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask, got_request_exception, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt,
    get_jwt_header,
    get_jwt_identity,
    jwt_required,
)
from jwt.algorithms import get_default_algorithms

# ------------------------------------------------------------- the reference app
# A fixture config is a dict of Flask config options that differ from the library
# defaults. JWT_PUBLIC_KEY and JWT_PRIVATE_KEY hold file names in tests/fixtures/keys/
# instead of PEM text; everything else goes to app.config as is.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEY_DIR = os.path.join(ROOT, "tests", "fixtures", "keys")

# PyJWT warns about the short HMAC secret used by the fixtures; that is intended.
warnings.filterwarnings("ignore", module="jwt")
warnings.filterwarnings("ignore", message=".*key.*", category=UserWarning)

KEY_FILE_OPTIONS = ("JWT_PUBLIC_KEY", "JWT_PRIVATE_KEY")


def read_key(name):
    with open(os.path.join(KEY_DIR, name), "r", encoding="ascii") as fh:
        return fh.read()


def make_app(config):
    """A Flask app with a JWTManager and the four fixture routes.

    `config` is a fixture config (see above). It is deep-copied, because the
    reference mutates `JWT_DECODE_ALGORITHMS` in place.
    """
    app = Flask("interop")
    cfg = copy.deepcopy(config)
    for opt in KEY_FILE_OPTIONS:
        if opt in cfg and cfg[opt] is not None:
            cfg[opt] = read_key(cfg[opt])
    app.config.update(cfg)
    app.logger.disabled = True  # 500s are recorded, not logged
    JWTManager(app)

    def body():
        return jsonify(identity=get_jwt_identity(), claims=get_jwt(), header=get_jwt_header())

    @app.route("/protected")
    @jwt_required()
    def protected():
        return body()

    @app.route("/fresh")
    @jwt_required(fresh=True)
    def fresh():
        return body()

    @app.route("/refresh")
    @jwt_required(refresh=True)
    def refresh():
        return body()

    @app.route("/optional")
    @jwt_required(optional=True)
    def optional():
        return body()

    return app


def run_request(config, token, route):
    """Send `GET route` with `Authorization: Bearer <token>` (no header when token is
    None) to a fresh app built from `config`. Returns a dict with the status, the
    parsed JSON body (or None), the raw body text and, for unhandled errors, the
    exception text."""
    app = make_app(config)
    seen = []

    def record(sender, exception, **extra):
        seen.append(f"{type(exception).__name__}: {exception}")

    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with got_request_exception.connected_to(record, app):
            resp = app.test_client().get(route, headers=headers)
    out = {
        "status": resp.status_code,
        "body": resp.get_json(silent=True),
        "text": resp.get_data(as_text=True),
    }
    if seen:
        out["exception"] = seen[0]
    return out


OUT = os.path.join(ROOT, "tests", "fixtures", "interop", "tokens.json")

SECRET = "super-secret"
FAR = 5000000000  # 2128-06-11: "valid forever" for our purposes
PAST = 1000000000  # 2001-09-09
HUNDRED_YEARS = timedelta(days=36525)

ROUTES = ("/protected", "/fresh", "/refresh", "/optional")

HS = {"JWT_SECRET_KEY": SECRET}

# algorithm -> (private key file, public key file) for the main fixtures
ASYM = {
    "RS256": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "RS384": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "RS512": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "PS256": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "PS384": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "PS512": ("rsa2048_pkcs1_private.pem", "rsa2048_pkcs1_public.pem"),
    "ES256": ("ec256_sec1_private.pem", "ec256_public.pem"),
    "ES384": ("ec384_sec1_private.pem", "ec384_public.pem"),
    "EdDSA": ("ed25519_private.pem", "ed25519_public.pem"),
}

ALGS = get_default_algorithms()


# --------------------------------------------------------------------------- helpers


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jdump(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def sign(alg, signing_input: bytes, key) -> bytes:
    """Sign with PyJWT's algorithm objects; HMAC is done by hand so that any secret
    (even a PEM key, which PyJWT refuses) can be used."""
    if alg.startswith("HS"):
        digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
        if isinstance(key, str):
            key = key.encode("utf-8")
        return hmac.new(key, signing_input, digest).digest()
    impl = ALGS[alg]
    return impl.sign(signing_input, impl.prepare_key(key))


def raw(header, payload, alg="HS256", key=SECRET, sig=None, payload_segment=None):
    """Build a token from a header and payload (dicts are JSON-encoded compactly, bytes
    are used verbatim) and sign it, unless `sig` (the signature segment) is given."""
    h = header if isinstance(header, bytes) else jdump(header)
    p = payload if isinstance(payload, bytes) else jdump(payload)
    pseg = b64(p) if payload_segment is None else payload_segment
    signing_input = b64(h) + "." + pseg
    if sig is None:
        sig = b64(sign(alg, signing_input.encode("ascii"), key))
    return signing_input + "." + sig


def hs(payload, header=None, **kw):
    """HS256 token over `payload` with the fixture secret and a JWT header."""
    return raw(header if header is not None else {"alg": "HS256", "typ": "JWT"}, payload, **kw)


def pyjwt(payload, alg="HS256", key=SECRET, headers=None):
    """Token made by bare PyJWT."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return jwt.encode(payload, key, algorithm=alg, headers=headers)


def lib(cfg=None, kind="access", identity="user", private=None, **kw):
    """Token made by the real library (create_access_token / create_refresh_token) in an
    app configured with `cfg` plus JWT_PRIVATE_KEY=`private`. No expiry unless an
    `expires_delta` is given."""
    icfg = dict(HS if cfg is None else cfg)
    if private:
        icfg["JWT_PRIVATE_KEY"] = private
    app = make_app(icfg)
    kw.setdefault("expires_delta", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with app.app_context():
            if kind == "access":
                return create_access_token(identity, **kw)
            return create_refresh_token(identity, **kw)


def split(token):
    return token.split(".")


def with_payload(token, payload_obj):
    """Replace the payload segment of a token, keeping header and signature."""
    h, _, s = split(token)
    return f"{h}.{b64(jdump(payload_obj))}.{s}"


def decode_unverified(token):
    return jwt.decode(token, options={"verify_signature": False})


# --------------------------------------------------------------------------- cases

CASES = []


def case(name, config, token, routes=("/protected",), description=""):
    if isinstance(routes, str):
        routes = (routes,)
    for route in routes:
        full = name if len(routes) == 1 else f"{name} {route}"
        CASES.append(
            {"name": full, "description": description, "config": config, "token": token, "route": route}
        )


def build_cases():
    # ---------------------------------------------------------------- algorithms
    for alg in ("HS256", "HS384", "HS512"):
        cfg = dict(HS)
        if alg != "HS256":
            cfg["JWT_ALGORITHM"] = alg
        case(f"alg {alg} library access token", cfg, lib(cfg), ROUTES,
             f"create_access_token on an {alg} app, secret super-secret, no exp")

    for alg, (priv, pub) in ASYM.items():
        cfg = {"JWT_ALGORITHM": alg, "JWT_PUBLIC_KEY": pub}
        tok = lib(cfg, private=priv)
        case(f"alg {alg} library access token", cfg, tok, ("/protected", "/optional"),
             f"create_access_token on an {alg} app signed with {priv}, verified with {pub}")
        case(f"alg {alg} library refresh token", cfg, lib(cfg, kind="refresh", private=priv),
             "/refresh", f"create_refresh_token on an {alg} app")

    # key format variants (same keys, other PEM encodings)
    case("RS256 pkcs1-signed verified with SPKI public key",
         {"JWT_ALGORITHM": "RS256", "JWT_PUBLIC_KEY": "rsa2048_public.pem"},
         lib({"JWT_ALGORITHM": "RS256"}, private="rsa2048_pkcs1_private.pem"))
    case("RS256 pkcs8-signed verified with PKCS#1 public key",
         {"JWT_ALGORITHM": "RS256", "JWT_PUBLIC_KEY": "rsa2048_pkcs1_public.pem"},
         lib({"JWT_ALGORITHM": "RS256"}, private="rsa2048_private.pem"))
    case("PS256 pkcs8-signed verified with SPKI public key",
         {"JWT_ALGORITHM": "PS256", "JWT_PUBLIC_KEY": "rsa2048_public.pem"},
         lib({"JWT_ALGORITHM": "PS256"}, private="rsa2048_private.pem"))
    case("ES256 pkcs8-signed",
         {"JWT_ALGORITHM": "ES256", "JWT_PUBLIC_KEY": "ec256_public.pem"},
         lib({"JWT_ALGORITHM": "ES256"}, private="ec256_private.pem"))
    case("ES384 pkcs8-signed",
         {"JWT_ALGORITHM": "ES384", "JWT_PUBLIC_KEY": "ec384_public.pem"},
         lib({"JWT_ALGORITHM": "ES384"}, private="ec384_private.pem"))

    # wrong keys
    rs_cfg = {"JWT_ALGORITHM": "RS256", "JWT_PUBLIC_KEY": "rsa2048_pkcs1_public.pem"}
    case("RS256 signed with the other RSA key", rs_cfg,
         lib({"JWT_ALGORITHM": "RS256"}, private="rsa2048_other_pkcs1_private.pem"))
    case("PS512 signed with the other RSA key",
         {"JWT_ALGORITHM": "PS512", "JWT_PUBLIC_KEY": "rsa2048_pkcs1_public.pem"},
         lib({"JWT_ALGORITHM": "PS512"}, private="rsa2048_other_private.pem"))
    es_cfg = {"JWT_ALGORITHM": "ES256", "JWT_PUBLIC_KEY": "ec256_public.pem"}
    case("ES256 signed with the attacker EC key", es_cfg,
         lib({"JWT_ALGORITHM": "ES256"}, private="ec256_attacker_sec1_private.pem"))
    ed_cfg = {"JWT_ALGORITHM": "EdDSA", "JWT_PUBLIC_KEY": "ed25519_public.pem"}
    case("EdDSA signed with the attacker Ed25519 key", ed_cfg,
         lib({"JWT_ALGORITHM": "EdDSA"}, private="ed25519_attacker_private.pem"))

    # cross-algorithm
    rs_tok = lib(rs_cfg, private="rsa2048_pkcs1_private.pem")
    case("RS256 token on an RS512 app",
         {"JWT_ALGORITHM": "RS512", "JWT_PUBLIC_KEY": "rsa2048_pkcs1_public.pem"}, rs_tok)
    case("PS256 token on an RS256 app", rs_cfg,
         lib({"JWT_ALGORITHM": "PS256"}, private="rsa2048_pkcs1_private.pem"))
    case("PS256 token on an RS256 app that also accepts PS256",
         dict(rs_cfg, JWT_DECODE_ALGORITHMS=["PS256"]),
         lib({"JWT_ALGORITHM": "PS256"}, private="rsa2048_pkcs1_private.pem"),
         description="JWT_DECODE_ALGORITHMS=[PS256]; the reference appends JWT_ALGORITHM (RS256)")
    case("ES256 token on an ES384 app",
         {"JWT_ALGORITHM": "ES384", "JWT_PUBLIC_KEY": "ec384_public.pem"},
         lib(es_cfg, private="ec256_sec1_private.pem"))
    case("EdDSA token on an ES256 app", es_cfg, lib(ed_cfg, private="ed25519_private.pem"))
    case("RS256 token on an HS256 app", HS, rs_tok)
    hs_tok = lib(HS)
    case("HS256 token on an RS256 app", rs_cfg, hs_tok)
    pub_pem = read_key("rsa2048_pkcs1_public.pem")
    confusion = raw({"alg": "HS256", "typ": "JWT"}, decode_unverified(hs_tok), key=pub_pem)
    case("HS256 token MACed with the RSA public key PEM on an RS256 app", rs_cfg, confusion,
         description="algorithm confusion attempt; HS256 not in the decode algorithms")
    case("HS256 token MACed with the RSA public key PEM on an RS256+HS256 app",
         dict(rs_cfg, JWT_DECODE_ALGORITHMS=["RS256", "HS256"]), confusion,
         description="algorithm confusion attempt with HS256 allowed: PyJWT refuses a PEM key as HMAC secret")
    case("HS512 token on an HS256 app", HS, lib(dict(HS, JWT_ALGORITHM="HS512")))
    case("HS512 token on an HS256 app that also accepts HS512",
         dict(HS, JWT_DECODE_ALGORITHMS=["HS512"]), lib(dict(HS, JWT_ALGORITHM="HS512")))
    case("HS256 token on an HS256 app with decode algorithms [HS384]",
         dict(HS, JWT_DECODE_ALGORITHMS=["HS384"]), hs_tok,
         description="JWT_ALGORITHM is appended to JWT_DECODE_ALGORITHMS")
    case("HS256 token, header alg lowercase hs256", HS,
         hs(decode_unverified(hs_tok), header={"alg": "hs256", "typ": "JWT"}))
    case("HS256 token, alg header overridden to HS512 via additional_headers", HS,
         lib(HS, additional_headers={"alg": "HS512"}),
         description="PyJWT signs with the header's alg")

    # ------------------------------------------------------- alg header oddities
    payload = {"sub": "me"}
    case("alg none, empty signature", HS, raw({"alg": "none", "typ": "JWT"}, payload, sig=""))
    case("alg none with HS signature", HS,
         raw({"alg": "none", "typ": "JWT"}, payload, alg="HS256"))
    case("alg None (capitalised)", HS, raw({"alg": "None"}, payload, sig=""))
    case("alg none on an app that lists none", dict(HS, JWT_DECODE_ALGORITHMS=["HS256", "none"]),
         raw({"alg": "none", "typ": "JWT"}, payload, sig=""))
    case("alg missing", HS, raw({"typ": "JWT"}, payload, alg="HS256"))
    case("alg empty string", HS, raw({"alg": ""}, payload, alg="HS256"))
    case("alg null", HS, raw({"alg": None}, payload, alg="HS256"))
    case("alg number", HS, raw({"alg": 256}, payload, alg="HS256"))
    case("alg list", HS, raw({"alg": ["HS256"]}, payload, alg="HS256"))
    case("alg XYZ", HS, raw({"alg": "XYZ"}, payload, alg="HS256"))
    case("alg XYZ on an app that lists XYZ", dict(HS, JWT_DECODE_ALGORITHMS=["HS256", "XYZ"]),
         raw({"alg": "XYZ"}, payload, alg="HS256"))
    case("duplicate alg keys in header, last is HS256", HS,
         raw(b'{"alg":"none","alg":"HS256","typ":"JWT"}', payload))
    case("duplicate alg keys in header, last is none", HS,
         raw(b'{"alg":"HS256","alg":"none","typ":"JWT"}', payload))
    case("header with only alg (no typ)", HS, raw({"alg": "HS256"}, payload))
    case("typ is not JWT", HS, raw({"alg": "HS256", "typ": "at+jwt"}, payload))
    case("typ is a number", HS, raw({"alg": "HS256", "typ": 1}, payload))

    # --------------------------------------------------------------- token types
    case("refresh token", HS, lib(HS, kind="refresh"), ROUTES)
    case("fresh access token (bool true)", HS, lib(HS, fresh=True), ROUTES)
    case("fresh float timestamp 100 years ahead", HS, lib(HS, fresh=HUNDRED_YEARS),
         ("/protected", "/fresh"), "create_access_token(fresh=timedelta(days=36525))")
    case("fresh float timestamp in the past", HS, lib(HS, fresh=timedelta(seconds=-60)),
         ("/protected", "/fresh"), "create_access_token(fresh=timedelta(seconds=-60))")
    for label, val in [("int 0", 0), ("int 1", 1), ("int far future", FAR), ("float far future", FAR + 0.5),
                       ("string true", "true"), ("null", None), ("list", [True]),
                       ("negative", -1), ("float past", PAST + 0.25)]:
        case(f"fresh claim {label}", HS, lib(HS, additional_claims={"fresh": val}),
             ("/fresh",), f"additional_claims fresh={val!r}")
    case("type missing (bare PyJWT, only sub)", HS, pyjwt({"sub": "me"}), ROUTES,
         "jwt.encode({'sub': 'me'}, 'super-secret', 'HS256')")
    case("type app", HS, lib(HS, additional_claims={"type": "app"}), ("/protected", "/refresh", "/optional"))
    case("type null", HS, lib(HS, additional_claims={"type": None}), ("/protected", "/refresh"))
    case("type number", HS, lib(HS, additional_claims={"type": 1}), ("/protected", "/refresh"))
    case("type REFRESH uppercase", HS, lib(HS, additional_claims={"type": "REFRESH"}),
         ("/protected", "/refresh"))
    case("access token with type overridden to refresh", HS,
         lib(HS, additional_claims={"type": "refresh"}), ("/protected", "/refresh"))
    case("no token at all", HS, None, ROUTES, "no Authorization header")

    # ------------------------------------------------------------ claims/headers
    case("additional claims", HS,
         lib(HS, additional_claims={"foo": "bar", "roles": ["a", "b"], "nested": {"x": 1, "y": [1, 2.5, None]},
                                    "unicode": "h\u00e9llo \u2603 \U0001F600", "big": 2 ** 63 + 1, "neg": -5}),
         ("/protected", "/optional"))
    case("additional headers kid and custom fields", HS,
         lib(HS, additional_headers={"kid": "k1", "foo": 1, "bar": {"x": [1, 2]}}))
    case("additional header typ removed", HS, lib(HS, additional_headers={"typ": None}),
         description="additional_headers={'typ': None} removes typ")
    case("identity claim custom name", {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"},
         lib({"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}), ROUTES)
    case("identity claim custom name, token has only sub",
         {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}, lib(HS))
    case("token with custom identity claim on a default app", HS,
         lib({"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}))
    case("custom identity claim name, int sub also present, verify_sub on",
         {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"},
         lib({"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}, additional_claims={"sub": 5}))
    case("custom identity claim with int value",
         {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"},
         lib({"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}, identity=5))
    case("identity claim is reserved name jti", {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "jti"},
         pyjwt({"jti": "abc"}), description="identity read from jti")

    # ---------------------------------------------------------------------- sub
    for label, ident in [("int", 5), ("dict", {"id": 5, "name": "x"}), ("list", [1, "a"]),
                         ("null", None), ("false", False), ("float", 1.5), ("empty string", "")]:
        tok = lib(HS, identity=ident)
        case(f"sub {label}, verify_sub on", HS, tok, ("/protected", "/optional"))
        case(f"sub {label}, verify_sub off", dict(HS, JWT_VERIFY_SUB=False), tok, ("/protected", "/optional"))
    case("sub missing", HS, pyjwt({"foo": "bar"}), ("/protected", "/optional"))
    case("sub missing, verify_sub off", dict(HS, JWT_VERIFY_SUB=False), pyjwt({"foo": "bar"}))
    case("sub missing, library token with sub removed", HS,
         hs({k: v for k, v in decode_unverified(hs_tok).items() if k != "sub"}))

    # ---------------------------------------------------------------------- jti
    for label, val in [("int", 5), ("null", None), ("list", ["a"]), ("dict", {"a": 1}), ("empty", "")]:
        case(f"jti {label}", HS, lib(HS, additional_claims={"jti": val}))
    case("jti int, verify_sub off", dict(HS, JWT_VERIFY_SUB=False), lib(HS, additional_claims={"jti": 5}))
    case("jti missing", HS, pyjwt({"sub": "me", "type": "access"}))

    # ---------------------------------------------------------------------- kid
    for label, val in [("int", 1), ("null", None), ("list", ["k"]), ("dict", {"k": 1}), ("bool", True)]:
        case(f"kid {label}", HS, raw({"alg": "HS256", "kid": val, "typ": "JWT"}, decode_unverified(hs_tok)))
    case("kid string", HS, raw({"alg": "HS256", "kid": "key-1", "typ": "JWT"}, decode_unverified(hs_tok)))
    case("kid int on an RS256 app", rs_cfg,
         raw({"alg": "RS256", "kid": 7}, {"sub": "me"}, alg="RS256", key=read_key("rsa2048_pkcs1_private.pem")))

    # --------------------------------------------------------------------- crit
    for label, hdr in [
        ("crit [foo]", {"alg": "HS256", "crit": ["foo"], "foo": 1}),
        ("crit [foo] without foo", {"alg": "HS256", "crit": ["foo"]}),
        ("crit [b64] without b64", {"alg": "HS256", "crit": ["b64"]}),
        ("crit [b64] with b64 true", {"alg": "HS256", "crit": ["b64"], "b64": True}),
        ("crit empty list", {"alg": "HS256", "crit": []}),
        ("crit string", {"alg": "HS256", "crit": "foo"}),
        ("crit [1]", {"alg": "HS256", "crit": [1]}),
        ("crit null", {"alg": "HS256", "crit": None}),
        ("b64 true without crit", {"alg": "HS256", "b64": True}),
    ]:
        case(label, HS, raw(hdr, {"sub": "me"}))
    case("b64 false with crit, empty payload segment", HS,
         raw({"alg": "HS256", "b64": False, "crit": ["b64"]}, b"", payload_segment=""))
    case("b64 false with crit, payload present", HS,
         raw({"alg": "HS256", "b64": False, "crit": ["b64"]}, {"sub": "me"}))
    case("b64 false without crit, empty payload segment", HS,
         raw({"alg": "HS256", "b64": False}, b"", payload_segment=""))
    case("b64 false without crit, payload present", HS, raw({"alg": "HS256", "b64": False}, {"sub": "me"}))

    # ------------------------------------------------------------ aud matrix
    auds = [("string a", "a"), ("list [a,c]", ["a", "c"]), ("string x", "x"), ("list [x,y]", ["x", "y"]),
            ("missing", None), ("empty string", ""), ("empty list", []), ("number", 5),
            ("list with number", ["a", 5]), ("null", "__null__"), ("dict", {"a": 1})]
    expect = [("none", None), ("string a", "a"), ("list [a,b]", ["a", "b"]), ("list [b]", ["b"])]
    for tlabel, taud in auds:
        if taud is None:
            tok = lib(HS)
        else:
            tok = lib(HS, additional_claims={"aud": None if taud == "__null__" else taud})
        for clabel, caud in expect:
            cfg = dict(HS)
            if caud is not None:
                cfg["JWT_DECODE_AUDIENCE"] = caud
            case(f"aud token {tlabel}, expected {clabel}", cfg, tok)
    case("aud from JWT_ENCODE_AUDIENCE list", dict(HS, JWT_DECODE_AUDIENCE="b"),
         lib(dict(HS, JWT_ENCODE_AUDIENCE=["a", "b"])))

    # ------------------------------------------------------------ iss matrix
    isss = [("me", "me"), ("m (substring)", "m"), ("meme", "meme"), ("you", "you"), ("missing", None),
            ("empty string", ""), ("number", 5), ("list [me]", ["me"]), ("null", "__null__")]
    expect_iss = [("none", None), ("me", "me"), ("list [me,you]", ["me", "you"])]
    for tlabel, tiss in isss:
        if tiss is None:
            tok = lib(HS)
        else:
            # PyJWT refuses to encode a non-string iss: re-sign the library claims by hand
            tok = hs(dict(decode_unverified(lib(HS)), iss=None if tiss == "__null__" else tiss))
        for clabel, ciss in expect_iss:
            cfg = dict(HS)
            if ciss is not None:
                cfg["JWT_DECODE_ISSUER"] = ciss
            case(f"iss token {tlabel}, expected {clabel}", cfg, tok)
    case("iss from JWT_ENCODE_ISSUER", dict(HS, JWT_DECODE_ISSUER="me"), lib(dict(HS, JWT_ENCODE_ISSUER="me")))
    case("aud and iss both wrong", dict(HS, JWT_DECODE_ISSUER="me", JWT_DECODE_AUDIENCE="a"),
         lib(HS, additional_claims={"iss": "you", "aud": "x"}), description="iss is checked before aud")

    # -------------------------------------------------------------------- time
    case("expired (fixed past exp)", HS, lib(HS, additional_claims={"exp": PAST}), ROUTES)
    case("expired refresh token", HS, lib(HS, kind="refresh", additional_claims={"exp": PAST}), ROUTES)
    case("exp 100 years ahead via expires_delta", HS, lib(HS, expires_delta=HUNDRED_YEARS))
    case("refresh exp 100 years ahead via expires_delta", HS,
         lib(HS, kind="refresh", expires_delta=HUNDRED_YEARS), "/refresh")
    case("expired via negative expires_delta", HS, lib(HS, expires_delta=timedelta(seconds=-10)))
    for label, val in [
        ("float future", FAR + 0.5), ("float past", PAST + 0.5), ("numeric string future", str(FAR)),
        ("numeric string past", str(PAST)), ("non-numeric string", "abc"), ("decimal string", f"{FAR}.5"),
        ("string with spaces", f" {FAR} "), ("string with underscores", "5_000_000_000"),
        ("string with plus sign", f"+{FAR}"), ("arabic-indic digit string", "\u0665"), ("hex string", "0x1"),
        ("true", True), ("false", False), ("null", None), ("list", [FAR]), ("dict", {"a": 1}),
        ("huge int", 10 ** 30), ("huge float", 1e300), ("negative", -1), ("zero", 0),
        ("exponent float future", 5e9), ("empty string", ""),
    ]:
        case(f"exp {label}", HS, lib(HS, additional_claims={"exp": val}))
    case("exp infinity (1e400 literal)", HS, hs(b'{"sub":"me","exp":1e400}'))
    case("exp NaN literal", HS, hs(b'{"sub":"me","exp":NaN}'))
    case("exp -Infinity literal", HS, hs(b'{"sub":"me","exp":-Infinity}'))
    for claim in ("nbf", "iat"):
        for label, val in [
            ("future", FAR), ("past", PAST), ("float future", FAR + 0.5), ("float past", PAST + 0.5),
            ("numeric string past", str(PAST)), ("non-numeric string", "abc"), ("null", None),
            ("list", [1]), ("true", True), ("huge int", 10 ** 30),
        ]:
            case(f"{claim} {label}", HS, lib(HS, additional_claims={claim: val}))
    case("iat and nbf both in the future", HS, lib(HS, additional_claims={"iat": FAR, "nbf": FAR}))
    case("nbf in the future and expired", HS, lib(HS, additional_claims={"nbf": FAR, "exp": PAST}))
    case("iat non-numeric and expired", HS, lib(HS, additional_claims={"iat": "x", "exp": PAST}))
    case("exp non-numeric and nbf future", HS, lib(HS, additional_claims={"exp": "x", "nbf": FAR}))
    huge = 10 ** 10
    case("leeway huge: expired exp accepted", dict(HS, JWT_DECODE_LEEWAY=huge),
         lib(HS, additional_claims={"exp": PAST}))
    case("leeway huge: future nbf accepted", dict(HS, JWT_DECODE_LEEWAY=huge),
         lib(HS, additional_claims={"nbf": FAR}))
    case("leeway huge: future iat accepted", dict(HS, JWT_DECODE_LEEWAY=huge),
         lib(HS, additional_claims={"iat": FAR}))
    case("leeway 3600: long-expired token still expired", dict(HS, JWT_DECODE_LEEWAY=3600),
         lib(HS, additional_claims={"exp": PAST}))
    case("leeway 3600: far-future nbf still rejected", dict(HS, JWT_DECODE_LEEWAY=3600),
         lib(HS, additional_claims={"nbf": FAR}))

    # -------------------------------------------------------- expired combined
    exp = {"exp": PAST}
    case("expired + missing sub", HS, pyjwt({"foo": "bar", "exp": PAST}))
    case("expired + missing custom identity claim",
         {"JWT_SECRET_KEY": SECRET, "JWT_IDENTITY_CLAIM": "identity"}, lib(HS, additional_claims=exp))
    case("expired + wrong issuer", dict(HS, JWT_DECODE_ISSUER="me"),
         lib(HS, additional_claims={"iss": "you", "exp": PAST}))
    case("expired + missing issuer", dict(HS, JWT_DECODE_ISSUER="me"), lib(HS, additional_claims=exp))
    case("expired + wrong audience", dict(HS, JWT_DECODE_AUDIENCE="a"),
         lib(HS, additional_claims={"aud": "x", "exp": PAST}))
    case("expired + missing audience", dict(HS, JWT_DECODE_AUDIENCE="a"), lib(HS, additional_claims=exp))
    case("expired + int sub", HS, lib(HS, identity=5, additional_claims=exp))
    case("expired + int sub, verify_sub off", dict(HS, JWT_VERIFY_SUB=False),
         lib(HS, identity=5, additional_claims=exp))
    case("expired + int jti", HS, lib(HS, additional_claims={"jti": 5, "exp": PAST}))
    case("expired + wrong secret", HS, lib({"JWT_SECRET_KEY": "other-secret"}, additional_claims=exp))
    case("expired + kid int", HS, raw({"alg": "HS256", "kid": 1}, {"sub": "me", "exp": PAST}))
    case("expired + alg not allowed", HS, lib(dict(HS, JWT_ALGORITHM="HS512"), additional_claims=exp))
    case("expired + crit unknown", HS, raw({"alg": "HS256", "crit": ["foo"], "foo": 1}, {"sub": "me", "exp": PAST}))
    case("expired + fresh", HS, lib(HS, fresh=True, additional_claims=exp), ("/fresh",))
    case("expired + type app", HS, lib(HS, additional_claims={"type": "app", "exp": PAST}), ("/refresh",))
    case("expired RS256 token", rs_cfg, lib(rs_cfg, private="rsa2048_pkcs1_private.pem", additional_claims=exp))
    case("expired ES256 token", es_cfg, lib(es_cfg, private="ec256_sec1_private.pem", additional_claims=exp))

    # ---------------------------------------------------------------- signature
    case("wrong secret", HS, lib({"JWT_SECRET_KEY": "not-the-secret"}))
    case("empty secret signature (secret = empty string)", HS, hs({"sub": "me"}, key=""))
    h, p, s = split(hs_tok)
    claims = decode_unverified(hs_tok)
    case("tampered payload (sub changed)", HS, with_payload(hs_tok, dict(claims, sub="admin")))
    case("tampered header (kid added)", HS,
         f"{b64(jdump({'alg': 'HS256', 'kid': 'x', 'typ': 'JWT'}))}.{p}.{s}")
    case("empty signature", HS, f"{h}.{p}.")
    case("signature from another token", HS, f"{h}.{p}.{split(lib(HS))[2]}")
    case("signature truncated by one char", HS, f"{h}.{p}.{s[:-1]}")
    case("signature truncated by two chars", HS, f"{h}.{p}.{s[:-2]}")
    case("signature with one '=' padding", HS, f"{h}.{p}.{s}=")
    case("signature with two '=' padding", HS, f"{h}.{p}.{s}==")
    case("signature with three '=' padding", HS, f"{h}.{p}.{s}===")
    last = s[-1]
    alt = {"A": "B", "E": "F", "I": "J", "M": "N", "Q": "R", "U": "V", "Y": "Z", "c": "d", "g": "h",
           "k": "l", "o": "p", "s": "t", "w": "x", "0": "1", "4": "5", "8": "9"}.get(last)
    if alt:
        case("signature with non-canonical last base64 char", HS, f"{h}.{p}.{s[:-1]}{alt}")
    case("signature with '+' (standard base64 alphabet)", HS, f"{h}.{p}.+{s[1:]}")
    case("signature with '!' characters", HS, f"{h}.{p}.!!!!")
    case("signature of a different algorithm length (HS512 MAC under HS256)", HS,
         f"{h}.{p}.{b64(sign('HS512', f'{h}.{p}'.encode(), SECRET))}")
    rh, rp, rsig = split(rs_tok)
    case("RS256 empty signature", rs_cfg, f"{rh}.{rp}.")
    case("RS256 tampered payload", rs_cfg, with_payload(rs_tok, dict(decode_unverified(rs_tok), sub="admin")))
    es_tok = lib(es_cfg, private="ec256_sec1_private.pem")
    eh, ep, esig = split(es_tok)
    der = ALGS["ES256"].prepare_key(read_key("ec256_sec1_private.pem")).sign(
        f"{eh}.{ep}".encode(), ec.ECDSA(hashes.SHA256()))
    case("ES256 with DER-encoded signature", es_cfg, f"{eh}.{ep}.{b64(der)}")
    case("ES256 empty signature", es_cfg, f"{eh}.{ep}.")

    # ---------------------------------------------------------------- malformed
    good_h = b64(jdump({"alg": "HS256", "typ": "JWT"}))
    good_p = b64(jdump({"sub": "me"}))
    for label, tok in [
        ("foobarbaz", "foobarbaz"), ("aaaaa.bbbbb.ccccc", "aaaaa.bbbbb.ccccc"), ("a.b.c.d", "a.b.c.d"),
        ("..", ".."), ("...", "..."), ("a.b", "a.b"), ("a..", "a.."), ("single dot", "."),
        ("five segments of a real token", f"{good_h}.{good_p}.{s}.{s}.{s}"),
        ("header only", good_h), ("header and payload only", f"{good_h}.{good_p}"),
        ("empty header segment", f".{good_p}.{s}"), ("empty payload segment", f"{good_h}..{s}"),
        ("header with '+'", f"{good_h[:-1]}+.{good_p}.{s}"), ("header with '!!'", f"!!{good_h}.{good_p}.{s}"),
        ("payload with '/'", f"{good_h}./{good_p}.{s}"),
        ("header length 1 mod 4", f"{good_h}A.{good_p}.{s}"),
        ("payload length 1 mod 4", f"{good_h}.{good_p}A.{s}"),
        ("signature length 1 mod 4", f"{good_h}.{good_p}.A"),
    ]:
        case(f"malformed {label}", HS, tok)

    bad_json = [
        ("not json", b"not json"), ("empty", b""), ("array", b"[]"), ("array of object", b'[{"alg":"HS256"}]'),
        ("string", b'"abc"'), ("number", b"5"), ("null", b"null"), ("true", b"true"),
        ("unterminated object", b'{"alg":"HS256"'), ("trailing comma", b'{"alg":"HS256",}'),
        ("single quotes", b"{'alg':'HS256'}"), ("missing colon", b'{"alg" "HS256"}'),
        ("extra data", b'{"alg":"HS256"} x'), ("two objects", b"{}{}"),
        ("bad escape", b'{"alg":"HS\\x256"}'), ("bad unicode escape", b'{"alg":"\\u12"}'),
        ("control char in string", b'{"alg":"HS\x01256"}'), ("unterminated string", b'{"alg":"HS256'),
        ("invalid utf-8 0xff", b"\xff"), ("invalid utf-8 in string", b'{"alg":"\xc3\x28"}'),
        ("truncated utf-8", b'{"alg":"\xe2\x82'), ("newline then garbage", b'{\n"alg":\n}'),
        ("utf-16-le object", '{"alg":"HS256"}'.encode("utf-16-le")),
        ("utf-16 with BOM, truncated", '{"alg"'.encode("utf-16")[:-1]),
        ("nested 2000 deep", b"[" * 2000 + b"]" * 2000),
    ]
    for label, data in bad_json:
        case(f"header JSON {label}", HS, raw(data, {"sub": "me"}))
    for label, data in bad_json:
        case(f"payload JSON {label}", HS, raw({"alg": "HS256", "typ": "JWT"}, data))

    # inputs Python's json accepts but a strict JSON parser may not
    case("header with UTF-8 BOM", HS, raw(b"\xef\xbb\xbf" + jdump({"alg": "HS256", "typ": "JWT"}), {"sub": "me"}))
    case("payload with UTF-8 BOM", HS,
         raw({"alg": "HS256", "typ": "JWT"}, b"\xef\xbb\xbf" + jdump({"sub": "me"})))
    case("header encoded as UTF-16-LE", HS,
         raw(json.dumps({"alg": "HS256", "typ": "JWT"}).encode("utf-16-le"), {"sub": "me"}))
    case("payload encoded as UTF-16-BE", HS,
         raw({"alg": "HS256", "typ": "JWT"}, json.dumps({"sub": "me"}).encode("utf-16-be")))
    case("payload encoded as UTF-32 with BOM", HS,
         raw({"alg": "HS256", "typ": "JWT"}, json.dumps({"sub": "me"}).encode("utf-32")))
    case("payload with whitespace around", HS, raw({"alg": "HS256", "typ": "JWT"}, b' \n\t{"sub":"me"}\r\n '))
    case("payload with NaN claim", HS, raw({"alg": "HS256"}, b'{"sub":"me","x":NaN}'))
    case("payload with Infinity claim", HS, raw({"alg": "HS256"}, b'{"sub":"me","x":Infinity}'))
    case("payload with duplicate sub (last wins)", HS, raw({"alg": "HS256"}, b'{"sub":"a","sub":"b"}'))
    case("payload with lone surrogate escape in sub", HS, raw({"alg": "HS256"}, b'{"sub":"\\ud800"}'))
    case("payload with CESU surrogate bytes in sub", HS, raw({"alg": "HS256"}, b'{"sub":"\xed\xa0\x80"}'))
    case("payload with escaped surrogate pair", HS, raw({"alg": "HS256"}, b'{"sub":"\\ud83d\\ude00"}'))
    case("payload with NUL escape in sub", HS, raw({"alg": "HS256"}, b'{"sub":"a\\u0000b"}'))
    case("payload with 5000-digit integer", HS, raw({"alg": "HS256"}, b'{"sub":"me","n":' + b"1" * 5000 + b"}"))
    case("payload with 4300-digit integer", HS, raw({"alg": "HS256"}, b'{"sub":"me","n":' + b"1" * 4300 + b"}"))
    case("payload nested 200 deep", HS,
         raw({"alg": "HS256"}, b'{"sub":"me","n":' + b"[" * 200 + b"]" * 200 + b"}"))
    case("payload with big exponent float", HS, raw({"alg": "HS256"}, b'{"sub":"me","n":1e999}'))
    case("payload with -0", HS, raw({"alg": "HS256"}, b'{"sub":"me","n":-0}'))
    case("payload with 1.0 float", HS, raw({"alg": "HS256"}, b'{"sub":"me","n":1.0,"m":1E2}'))
    case("payload with empty key", HS, raw({"alg": "HS256"}, b'{"sub":"me","":1}'))


# --------------------------------------------------------------------------- run


def outcome(c):
    res = run_request(c["config"], c["token"], c["route"])
    out = {"expected_status": res["status"], "expected_body": res["body"]}
    if res["body"] is None or not strict_json(res["body"]):
        # not JSON (500 page), or JSON only Python reads (NaN, lone surrogates):
        # keep the raw text instead
        out["expected_body"] = None
        out["expected_text"] = res["text"]
    if "exception" in res:
        out["reference_exception"] = res["exception"]
    return out


def strict_json(obj):
    """True when `obj` can be written as RFC 8259 JSON that strict parsers (serde_json)
    read back: no NaN/Infinity, no lone surrogates in strings, no integer beyond the
    f64 range, no nesting deeper than serde_json's limit (128, counting the fixture
    file's own levels)."""

    def walk(v, depth=0):
        if depth > 100:
            return False
        if isinstance(v, dict):
            return all(walk(k) and walk(x, depth + 1) for k, x in v.items())
        if isinstance(v, list):
            return all(walk(x, depth + 1) for x in v)
        if isinstance(v, bool) or v is None:
            return True
        if isinstance(v, int):
            try:
                float(v)
                return True
            except OverflowError:
                return False
        if isinstance(v, float):
            return math.isfinite(v)
        if isinstance(v, str):
            try:
                v.encode("utf-8")
                return True
            except UnicodeEncodeError:
                return False
        return False

    return walk(obj)


def generate():
    build_cases()
    names = set()
    out = []
    for c in CASES:
        assert c["name"] not in names, c["name"]
        names.add(c["name"])
        c.update(outcome(c))
        out.append(c)
    return {
        "generator": {
            "script": "interop/make_token_fixtures.py",
            "flask-jwt-extended": version("flask-jwt-extended"),
            "PyJWT": version("PyJWT"),
            "Flask": version("flask"),
            "cryptography": version("cryptography"),
            "python": sys.version.split()[0],
        },
        "request": "GET <route> with header 'Authorization: Bearer <token>' (no header when token is null); "
                   "routes: /protected = jwt_required(), /fresh = jwt_required(fresh=True), "
                   "/refresh = jwt_required(refresh=True), /optional = jwt_required(optional=True); "
                   "200 body = {identity: get_jwt_identity(), claims: get_jwt(), header: get_jwt_header()}",
        "secret": SECRET,
        "cases": out,
        "rust_made": [],
    }


def check(path):
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    bad = 0
    for c in data["cases"]:
        o = outcome(c)
        for k in ("expected_status", "expected_body", "expected_text"):
            if o.get(k) != c.get(k):
                bad += 1
                print(f"CHANGED {c['name']}: {k} was {c.get(k)!r}, now {o.get(k)!r}")
                break
    print(f"{len(data['cases'])} cases, {bad} changed")
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=OUT)
    ap.add_argument("--force", action="store_true", help="overwrite an existing file")
    ap.add_argument("--check", action="store_true", help="re-run recorded cases and compare")
    args = ap.parse_args(argv)
    if args.check:
        return check(args.out)
    if os.path.exists(args.out) and not args.force:
        print(f"{args.out} exists; use --force to regenerate or --check to re-verify", file=sys.stderr)
        return 1
    data = generate()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=1, ensure_ascii=True, allow_nan=False)
        fh.write("\n")
    print(f"wrote {len(data['cases'])} cases to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

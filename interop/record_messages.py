#!/usr/bin/env python3
"""Record the error messages the real Flask-JWT-Extended sends.

Writes tests/fixtures/interop/messages.json. Each entry was produced by sending a
request to a real Flask app (`make_app` below) that fails in one particular way;
`tests/messages.rs` checks every constant and template of `jwt_extended::messages`
against these answers, and replays each request against the Rust crate. Nothing in
the file is written by hand.

Usage:
  record_messages.py            write the file (refuses to overwrite it)
  record_messages.py --force    regenerate it
  record_messages.py --check    re-run every case and report any answer that changed

Requires flask-jwt-extended==4.7.1 (it brings Flask and PyJWT).

File format (a JSON object):
  "generator":  versions of the Python packages used
  "messages":   name -> entry, where name is the Rust item: a constant (`TOKEN_EXPIRED`)
                or a template with its arguments (`missing_header(X-Token)`)
      status       HTTP status of the reference's answer
      msg          the `msg` of its JSON body
      config       Flask config options that differ from the defaults
      request      what was sent: method, route, and the headers, query string,
                   cookies or JSON body
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import warnings
from importlib.metadata import version

from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    jwt_required,
)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "tests", "fixtures", "interop", "messages.json")

SECRET = "super-secret"
FAR = 5000000000  # 2128-06-11
PAST = 1000000000  # 2001-09-09

# PyJWT warns about the short HMAC secret; that is intended.
warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------- the app


def make_app(config, hooks=()):
    """A Flask app with a JWTManager and routes for each requirement.

    `hooks` names loaders to install: "revoked" (every token is in the blocklist),
    "claims_fail" (the claims verification loader refuses every token),
    "no_user" (the user lookup loader finds no user).
    """
    app = Flask("messages")
    app.config.update({"JWT_SECRET_KEY": SECRET})
    app.config.update(config)
    app.logger.disabled = True
    jwt = JWTManager(app)
    if "revoked" in hooks:
        jwt.token_in_blocklist_loader(lambda header, payload: True)
    if "claims_fail" in hooks:
        jwt.token_verification_loader(lambda header, payload: False)
    if "no_user" in hooks:
        jwt.user_lookup_loader(lambda header, payload: None)

    @app.route("/protected", methods=["GET", "POST"])
    @jwt_required()
    def protected():
        return jsonify(ok=True)

    @app.route("/fresh", methods=["GET", "POST"])
    @jwt_required(fresh=True)
    def fresh():
        return jsonify(ok=True)

    @app.route("/refresh", methods=["GET", "POST"])
    @jwt_required(refresh=True)
    def refresh():
        return jsonify(ok=True)

    return app


def token_from(config, refresh=False, fresh=False):
    """A token made by the reference under `config`, without `exp`, so that the
    recorded requests can be replayed (by tests/messages.rs) at any time."""
    app = make_app({**config, "JWT_ACCESS_TOKEN_EXPIRES": False, "JWT_REFRESH_TOKEN_EXPIRES": False})
    with app.app_context():
        if refresh:
            return create_refresh_token("alice")
        return create_access_token("alice", fresh=fresh)


# --------------------------------------------------------------------------- raw tokens


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def jdump(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def raw(header, payload, key=SECRET, payload_segment=None):
    """An HS256-signed token from a header and payload (dicts or raw bytes)."""
    h = b64(header if isinstance(header, bytes) else jdump(header))
    if payload_segment is None:
        payload_segment = b64(payload if isinstance(payload, bytes) else jdump(payload))
    signing_input = f"{h}.{payload_segment}".encode("ascii")
    sig = hmac.new(key.encode("utf-8"), signing_input, hashlib.sha256).digest()
    return f"{h}.{payload_segment}.{b64(sig)}"


HS256 = {"alg": "HS256", "typ": "JWT"}


def claims(**extra):
    out = {"sub": "alice", "exp": FAR}
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


# --------------------------------------------------------------------------- the cases
# name -> (config, hooks, request). A request is a dict with "method", "route" and any
# of "headers", "query", "cookies", "json".

COOKIES = {"JWT_TOKEN_LOCATION": ["cookies"]}
QUERY = {"JWT_TOKEN_LOCATION": ["query_string"]}
JSON = {"JWT_TOKEN_LOCATION": ["json"]}
CUSTOM_HEADER = {"JWT_HEADER_NAME": "X-Token"}


def bearer(token):
    return {"method": "GET", "route": "/protected", "headers": {"Authorization": f"Bearer {token}"}}


def get(route="/protected", **extra):
    return {"method": "GET", "route": route, **extra}


def post(route="/protected", **extra):
    return {"method": "POST", "route": route, **extra}


def cases():
    access_cookie = token_from(COOKIES)
    headers_token = token_from({})  # access, not fresh
    return {
        # The header.
        "MISSING_AUTHORIZATION_HEADER": ({}, (), get()),
        "missing_header(X-Token)": (CUSTOM_HEADER, (), get()),
        "MISSING_BEARER_TYPE": ({}, (), get(headers={"Authorization": "Token abc"})),
        "missing_header_type(X-Token, JWT)": (
            {**CUSTOM_HEADER, "JWT_HEADER_TYPE": "JWT"},
            (),
            get(headers={"X-Token": "Bearer abc"}),
        ),
        "BAD_AUTHORIZATION_HEADER": ({}, (), get(headers={"Authorization": "Bearer a b"})),
        "bad_header(X-Token, )": (
            {**CUSTOM_HEADER, "JWT_HEADER_TYPE": ""},
            (),
            get(headers={"X-Token": "a b"}),
        ),
        "bad_header(X-Token, JWT)": (
            {**CUSTOM_HEADER, "JWT_HEADER_TYPE": "JWT"},
            (),
            get(headers={"X-Token": "JWT a b"}),
        ),
        # Cookies and CSRF.
        "MISSING_ACCESS_COOKIE": (COOKIES, (), get()),
        "MISSING_REFRESH_COOKIE": (COOKIES, (), get("/refresh")),
        "missing_cookie(my_cookie)": ({**COOKIES, "JWT_ACCESS_COOKIE_NAME": "my_cookie"}, (), get()),
        "MISSING_CSRF_TOKEN": (COOKIES, (), post(cookies={"access_token_cookie": access_cookie})),
        "CSRF_MISMATCH": (
            COOKIES,
            (),
            post(cookies={"access_token_cookie": access_cookie}, headers={"X-CSRF-TOKEN": "wrong"}),
        ),
        "MISSING_CSRF_CLAIM": (
            COOKIES,
            (),
            post(cookies={"access_token_cookie": raw(HS256, claims())}, headers={"X-CSRF-TOKEN": "any"}),
        ),
        # Query string and JSON body.
        "MISSING_JWT_QUERY_PARAM": (QUERY, (), get()),
        "missing_query_param(token)": ({**QUERY, "JWT_QUERY_STRING_NAME": "token"}, (), get()),
        "invalid_query_param(jwt, Bearer )": (
            {**QUERY, "JWT_QUERY_STRING_VALUE_PREFIX": "Bearer "},
            (),
            get(query={"jwt": "abc"}),
        ),
        "INVALID_JSON_CONTENT_TYPE": (JSON, (), post()),
        "MISSING_ACCESS_TOKEN_JSON_KEY": (JSON, (), post(json={})),
        "MISSING_REFRESH_TOKEN_JSON_KEY": (JSON, (), post("/refresh", json={})),
        "missing_json_key(tok)": ({**JSON, "JWT_JSON_KEY": "tok"}, (), post(json={})),
        "TOKEN_NOT_A_STRING": (JSON, (), post(json={"access_token": 123})),
        "missing_in_locations(headers, cookies)": (
            {"JWT_TOKEN_LOCATION": ["headers", "cookies"]},
            (),
            get(),
        ),
        "missing_in_locations(headers, cookies, query_string, json)": (
            {"JWT_TOKEN_LOCATION": ["headers", "cookies", "query_string", "json"]},
            (),
            get(),
        ),
        # Segments and header.
        "NOT_ENOUGH_SEGMENTS": ({}, (), bearer("foobarbaz")),
        "INVALID_HEADER_PADDING": ({}, (), bearer("aaaaa.bbbbb.ccccc")),
        "INVALID_PAYLOAD_PADDING": ({}, (), bearer(f"{b64(jdump(HS256))}.!!.")),
        "INVALID_CRYPTO_PADDING": ({}, (), bearer(f"{b64(jdump(HS256))}.{b64(jdump(claims()))}.a")),
        "HEADER_NOT_AN_OBJECT": ({}, (), bearer(raw(b"[1]", claims()))),
        "PAYLOAD_NOT_AN_OBJECT": ({}, (), bearer(raw(HS256, b"[]"))),
        "invalid_header_json(Expecting value: line 1 column 1 (char 0))": ({}, (), bearer("..")),
        "invalid_payload_json(Expecting property name enclosed in double quotes: line 1 column 2 (char 1))": (
            {},
            (),
            bearer(raw(HS256, b"{")),
        ),
        "KID_NOT_A_STRING": ({}, (), bearer(raw({**HS256, "kid": 1}, claims()))),
        "CRIT_NOT_A_LIST": ({}, (), bearer(raw({**HS256, "crit": []}, claims()))),
        "CRIT_VALUE_NOT_A_STRING": ({}, (), bearer(raw({**HS256, "crit": [1]}, claims()))),
        "unsupported_critical_extension(foo)": (
            {},
            (),
            bearer(raw({**HS256, "crit": ["foo"], "foo": 1}, claims())),
        ),
        "critical_extension_missing(b64)": ({}, (), bearer(raw({**HS256, "crit": ["b64"]}, claims()))),
        "B64_PAYLOAD_NOT_EMPTY": ({}, (), bearer(raw({**HS256, "b64": False}, claims()))),
        "B64_NOT_IN_CRIT": ({}, (), bearer(raw({**HS256, "b64": False}, None, payload_segment=""))),
        "DETACHED_PAYLOAD_REQUIRED": (
            {},
            (),
            bearer(raw({**HS256, "b64": False, "crit": ["b64"]}, None, payload_segment="")),
        ),
        "ALGORITHM_NOT_SPECIFIED": ({}, (), bearer(raw({"typ": "JWT"}, claims()))),
        "ALGORITHM_NOT_ALLOWED": ({}, (), bearer(raw({"alg": "HS512", "typ": "JWT"}, claims()))),
        "SIGNATURE_VERIFICATION_FAILED": ({}, (), bearer(raw(HS256, claims(), key="other-secret"))),
        # Claims.
        "IAT_NOT_AN_INTEGER": ({}, (), bearer(raw(HS256, claims(iat="x")))),
        "IAT_IN_THE_FUTURE": ({}, (), bearer(raw(HS256, claims(iat=FAR)))),
        "NBF_NOT_AN_INTEGER": ({}, (), bearer(raw(HS256, claims(nbf="x")))),
        "NBF_IN_THE_FUTURE": ({}, (), bearer(raw(HS256, claims(nbf=FAR)))),
        "EXP_NOT_AN_INTEGER": ({}, (), bearer(raw(HS256, claims(exp="x")))),
        "TOKEN_EXPIRED": ({}, (), bearer(raw(HS256, claims(exp=PAST)))),
        "missing_required_claim(iss)": ({"JWT_DECODE_ISSUER": "me"}, (), bearer(raw(HS256, claims()))),
        "missing_required_claim(aud)": ({"JWT_DECODE_AUDIENCE": "a"}, (), bearer(raw(HS256, claims()))),
        "INVALID_ISSUER": ({"JWT_DECODE_ISSUER": "me"}, (), bearer(raw(HS256, claims(iss="you")))),
        "ISSUER_NOT_A_STRING": ({"JWT_DECODE_ISSUER": "me"}, (), bearer(raw(HS256, claims(iss=1)))),
        "INVALID_AUDIENCE_FORMAT": ({"JWT_DECODE_AUDIENCE": "a"}, (), bearer(raw(HS256, claims(aud=5)))),
        "AUDIENCE_MISMATCH": ({"JWT_DECODE_AUDIENCE": "a"}, (), bearer(raw(HS256, claims(aud="b")))),
        "SUBJECT_NOT_A_STRING": ({}, (), bearer(raw(HS256, claims(sub=5)))),
        "JTI_NOT_A_STRING": ({}, (), bearer(raw(HS256, claims(jti=5)))),
        "missing_claim(sub)": ({}, (), bearer(raw(HS256, {"exp": FAR}))),
        # After decoding.
        "ONLY_ACCESS_TOKENS": ({}, (), bearer(token_from({}, refresh=True))),
        "ONLY_REFRESH_TOKENS": (
            {},
            (),
            {**bearer(headers_token), "route": "/refresh"},
        ),
        "FRESH_TOKEN_REQUIRED": ({}, (), {**bearer(headers_token), "route": "/fresh"}),
        "TOKEN_REVOKED": ({}, ("revoked",), bearer(headers_token)),
        "USER_CLAIMS_VERIFICATION_FAILED": ({}, ("claims_fail",), bearer(headers_token)),
        "user_lookup_failed(alice)": ({}, ("no_user",), bearer(headers_token)),
    }


# --------------------------------------------------------------------------- recording


def send(config, hooks, request):
    app = make_app(config, hooks)
    client = app.test_client()
    for name, value in request.get("cookies", {}).items():
        client.set_cookie(name, value)
    kwargs = {"headers": request.get("headers", {}), "query_string": request.get("query", {})}
    if "json" in request:
        kwargs["json"] = request["json"]
    resp = client.open(request["route"], method=request["method"], **kwargs)
    body = resp.get_json(silent=True) or {}
    return {"status": resp.status_code, "msg": body.get("msg")}


def record():
    out = {}
    for name, (config, hooks, request) in cases().items():
        answer = send(config, hooks, request)
        if answer["msg"] is None:
            sys.exit(f"{name}: the reference answered {answer['status']} without a message")
        out[name] = {**answer, "config": config, "hooks": list(hooks), "request": request}
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="overwrite the existing file")
    parser.add_argument("--check", action="store_true", help="compare with the existing file")
    args = parser.parse_args()
    recorded = record()
    if args.check:
        with open(OUT, encoding="utf-8") as fh:
            old = json.load(fh)["messages"]
        changed = [
            name
            for name in sorted(set(old) | set(recorded))
            if {k: old.get(name, {}).get(k) for k in ("status", "msg")}
            != {k: recorded.get(name, {}).get(k) for k in ("status", "msg")}
        ]
        for name in changed:
            print(f"changed: {name}: {old.get(name)} -> {recorded.get(name)}")
        print(f"{len(recorded) - len(changed)} passed, {len(changed)} failed")
        sys.exit(1 if changed else 0)
    if os.path.exists(OUT) and not args.force:
        sys.exit(f"{OUT} exists: use --force to regenerate it, or --check to compare")
    document = {
        "generator": {
            "script": "interop/record_messages.py",
            "flask-jwt-extended": version("flask-jwt-extended"),
            "PyJWT": version("PyJWT"),
            "Flask": version("flask"),
            "Werkzeug": version("werkzeug"),
        },
        "messages": recorded,
    }
    with open(OUT, "w", encoding="utf-8") as fh:
        json.dump(document, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    print(f"wrote {len(recorded)} messages to {os.path.relpath(OUT, ROOT)}")


if __name__ == "__main__":
    main()

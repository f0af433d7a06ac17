#!/usr/bin/env python3
"""Decode tokens with the real Flask-JWT-Extended `decode_token`.

Reads JSON lines from stdin, one object per line:

    {"token": "<jwt>", "config": {...}, "allow_expired": false, "csrf_value": null}

`config` is a fixture config as in tests/fixtures/interop/tokens.json: Flask config
options differing from the defaults, with JWT_PUBLIC_KEY / JWT_PRIVATE_KEY given as file
names in tests/fixtures/keys/. `allow_expired` and `csrf_value` are optional and passed
to decode_token.

Writes one JSON line per input line, in order:

    {"ok": true, "claims": {...}}
    {"ok": false, "error": "<str(exception)>", "error_type": "<exception class>"}

A line that is not valid JSON (or lacks "token") gives
{"ok": false, "error": "...", "error_type": "BadInput"}. Blank lines are skipped.

With --sign, the other direction: each line is {"config": {...}, "identity": "<sub>",
"refresh": false} (JWT_PRIVATE_KEY given as a file name too), and each answer is the
reference's token, {"ok": true, "token": "<jwt>"}, or {"ok": false, "error": ...}.
"""

import json
import os
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from flask_jwt_extended import (  # noqa: E402
    create_access_token,
    create_refresh_token,
    decode_token,
)

from make_token_fixtures import make_app  # noqa: E402


def verify(item):
    app = make_app(item.get("config") or {})
    kwargs = {}
    if item.get("allow_expired"):
        kwargs["allow_expired"] = True
    if item.get("csrf_value") is not None:
        kwargs["csrf_value"] = item["csrf_value"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with app.app_context():
            try:
                claims = decode_token(item["token"], **kwargs)
            except Exception as exc:  # every failure is reported, none is fatal
                return {"ok": False, "error": str(exc), "error_type": type(exc).__name__}
    return {"ok": True, "claims": claims}


def sign(item):
    app = make_app(item.get("config") or {})
    create = create_refresh_token if item.get("refresh") else create_access_token
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with app.app_context():
            try:
                token = create(identity=item.get("identity", "alice"))
            except Exception as exc:  # every failure is reported, none is fatal
                return {"ok": False, "error": str(exc), "error_type": type(exc).__name__}
    return {"ok": True, "token": token}


def main():
    signing = "--sign" in sys.argv[1:]
    required = "config" if signing else "token"
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict) or (
                not signing and not isinstance(item.get("token"), str)
            ):
                raise ValueError(f'expected an object with a "{required}"')
        except ValueError as exc:
            result = {"ok": False, "error": str(exc), "error_type": "BadInput"}
        else:
            result = sign(item) if signing else verify(item)
        sys.stdout.write(json.dumps(result, separators=(",", ":")) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())

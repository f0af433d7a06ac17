"""Reference app for upstream ``examples/oidc.py``.

Tokens come from an OpenID provider (Keycloak-style realm).  At start-up the
app reads ``{OIDC_ISSUER_URL}/.well-known/openid-configuration``, downloads the
key set named by its ``jwks_uri`` and keeps the *first* key of that set as the
RS256 verification key: no ``kid`` lookup, no refresh, no issuer check - that
is the upstream behaviour this app reproduces.

OIDC_ISSUER_URL  default https://my-identity-server.example/auth/realms/master
OIDC_CLIENT_ID   the expected audience, default example.my-identity-server

GET /anonymous        -> {"result": "anonymous ok"}
GET /token-protected  -> {"result": "protected by token ok"}
GET /group-protected  -> [{"result": "protected by token AND group membership ok"},
                          {"user": <email claim>}]
                         401 {"result": "user not in group required to access this endpoint"}
                         when "api-access" is not ``in`` the groups claim; a token
                         without a groups claim raises KeyError (500), as upstream.

Changes from upstream, all needed to run on 4.7.1 or in this harness:
- the user lookup loader takes (jwt_header, jwt_data) (the upstream one has the
  pre-4.0 one-argument form, so every valid token got a 500);
- the identity claim is ``email`` through JWT_IDENTITY_CLAIM (upstream sets a
  misspelt ``JWT_IDENTITY_CLAIMS`` that 4.x ignores, which leaves ``sub``);
- issuer and client id come from the environment (upstream: constants with
  the same defaults); the upstream ``config`` module, which the repository does
  not ship, is dropped;
- the two documents are fetched with urllib instead of ``requests``;
- served by ``_serve`` on 127.0.0.1:$PORT instead of 0.0.0.0:5000.
"""

import json
import os
import ssl
import urllib.request
from functools import wraps

from flask import Flask, jsonify
from flask_restful import Api
from jwt.algorithms import RSAAlgorithm

from flask_jwt_extended import JWTManager, current_user, get_jwt, verify_jwt_in_request

ISSUER_URL = os.environ.get(
    "OIDC_ISSUER_URL", "https://my-identity-server.example/auth/realms/master"
)
CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "example.my-identity-server")
USERNAME_CLAIM = "email"
GROUPS_CLAIM = "groups"

app = Flask(__name__)
api = Api(app)  # upstream creates one and registers no resource on it


def join_url(*parts):
    """Join URL pieces with one '/', dropping trailing slashes of each piece."""
    return "/".join(str(part).rstrip("/") for part in parts)


def get_json(url):
    # Upstream passes verify=False to requests; do the same for https.
    context = ssl._create_unverified_context() if url.startswith("https:") else None
    with urllib.request.urlopen(url, timeout=10, context=context) as resp:
        return json.load(resp)


def token_required(view):
    @wraps(view)
    def guarded(*args, **kwargs):
        verify_jwt_in_request()
        return view(*args, **kwargs)

    return guarded


def group_required(group=""):
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request()
            # Python's `in`: list element, substring of a string, key of an
            # object.  A missing claim is a KeyError (500), as upstream.
            if group not in get_jwt()[GROUPS_CLAIM]:
                body = {"result": "user not in group required to access this endpoint"}
                return jsonify(body), 401
            return view(*args, **kwargs)

        return guarded

    return decorate


# The provider's documents, read once.
discovery = get_json(join_url(ISSUER_URL, ".well-known/openid-configuration"))
key_set = get_json(discovery["jwks_uri"])

app.config.update(
    JWT_ALGORITHM="RS256",
    JWT_PUBLIC_KEY=RSAAlgorithm.from_jwk(json.dumps(key_set["keys"][0])),
    JWT_DECODE_AUDIENCE=CLIENT_ID,
    JWT_IDENTITY_CLAIM=USERNAME_CLAIM,
)
jwt = JWTManager(app)


@app.route("/anonymous", methods=["GET"])
def anonymous():
    return jsonify({"result": "anonymous ok"}), 200


@app.route("/token-protected", methods=["GET"])
@token_required
def token_protected():
    return jsonify({"result": "protected by token ok"}), 200


@app.route("/group-protected", methods=["GET"])
@group_required("api-access")
def group_protected():
    # jsonify with two positional arguments answers a JSON array of both.
    return (
        jsonify(
            {"result": "protected by token AND group membership ok"},
            {"user": current_user.username},
        ),
        200,
    )


class User:
    """What current_user is: the identity claim's value as ``username``."""

    def __init__(self, username):
        self.username = username


@jwt.user_lookup_loader
def load_user(_jwt_header, jwt_data):
    return User(jwt_data[USERNAME_CLAIM])


if __name__ == "__main__":
    from _serve import serve

    serve(app)

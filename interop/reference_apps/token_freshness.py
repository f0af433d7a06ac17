"""Reference app for upstream ``examples/token_freshness.py``.

POST /login     JSON {"username": "test", "password": "test"}
                -> {"access_token": <fresh>, "refresh_token": ...}
POST /refresh   Authorization: Bearer <refresh token> -> {"access_token": <not fresh>}
GET  /protected needs a *fresh* access token -> {"foo": "bar"}
"""

from datetime import timedelta

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    create_refresh_token,
    get_jwt_identity,
    jwt_required,
)

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY="super-secret",
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=1),
    JWT_REFRESH_TOKEN_EXPIRES=timedelta(days=30),
)
JWTManager(app)

USER = "example_user"


@app.post("/login")
def login():
    body = request.get_json()
    if body.get("username") != "test" or body.get("password") != "test":
        return jsonify(msg="Bad username or password"), 401
    # The password was just checked, so this access token is fresh.
    return jsonify(
        access_token=create_access_token(identity=USER, fresh=True),
        refresh_token=create_refresh_token(identity=USER),
    )


@app.post("/refresh")
@jwt_required(refresh=True)
def refresh():
    # No password here: the new access token is not fresh.
    token = create_access_token(identity=get_jwt_identity(), fresh=False)
    return jsonify(access_token=token)


@app.get("/protected")
@jwt_required(fresh=True)
def protected():
    return jsonify(foo="bar")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

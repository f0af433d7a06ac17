"""Reference app for upstream ``examples/refresh_tokens.py``.

POST /login     (body ignored) -> {"access_token": ..., "refresh_token": ...}
POST /refresh   Authorization: Bearer <refresh token> -> {"access_token": ...}
GET  /protected Authorization: Bearer <access token> -> {"foo": "bar"}
Access tokens live 1 hour, refresh tokens 30 days.
"""

from datetime import timedelta

from flask import Flask, jsonify
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
    return jsonify(
        access_token=create_access_token(identity=USER),
        refresh_token=create_refresh_token(identity=USER),
    )


@app.post("/refresh")
@jwt_required(refresh=True)
def refresh():
    return jsonify(access_token=create_access_token(identity=get_jwt_identity()))


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(foo="bar")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

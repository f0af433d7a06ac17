"""Reference app for upstream ``examples/jwt_locations.py``.

Tokens are accepted from headers, cookies, a JSON body and the query string
(in that order).
POST /login_without_cookies -> {"access_token": ...}
POST /login_with_cookies    -> {"msg": "login successful"} + access and CSRF cookies
POST /logout_with_cookies   -> {"msg": "logout successful"} + all four cookies unset
GET|POST /protected         any location -> {"foo": "bar"}
GET  /only_headers          Authorization header only -> {"foo": "baz"}
"""

from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    jwt_required,
    set_access_cookies,
    unset_jwt_cookies,
)

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY="super-secret",
    JWT_TOKEN_LOCATION=["headers", "cookies", "json", "query_string"],
    JWT_COOKIE_SECURE=False,
)
JWTManager(app)


def new_token():
    return create_access_token(identity="example_user")


@app.post("/login_without_cookies")
def login_without_cookies():
    return jsonify(access_token=new_token())


@app.post("/login_with_cookies")
def login_with_cookies():
    resp = jsonify(msg="login successful")
    set_access_cookies(resp, new_token())
    return resp


@app.post("/logout_with_cookies")
def logout_with_cookies():
    resp = jsonify(msg="logout successful")
    unset_jwt_cookies(resp)
    return resp


@app.route("/protected", methods=["GET", "POST"])
@jwt_required()
def protected():
    return jsonify(foo="bar")


@app.get("/only_headers")
@jwt_required(locations=["headers"])
def only_headers():
    return jsonify(foo="baz")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

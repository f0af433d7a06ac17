"""Reference app for upstream ``examples/implicit_refresh.py``.

Tokens live in cookies only (1 hour). After every request that carried a
valid token expiring within 30 minutes, a new access cookie is set.
POST /login     -> {"msg": "login successful"} + access and CSRF cookies
POST /logout    -> {"msg": "logout successful"} + all four cookies unset
GET  /protected -> {"foo": "bar"}
"""

from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
    set_access_cookies,
    unset_jwt_cookies,
)

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY="super-secret",
    JWT_TOKEN_LOCATION=["cookies"],
    JWT_COOKIE_SECURE=False,
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(hours=1),
)
JWTManager(app)

REFRESH_WINDOW = timedelta(minutes=30)


@app.after_request
def renew_if_expiring(response):
    # get_jwt() raises RuntimeError when the request was not verified (no
    # token, failed check, unprotected route); a token without "exp" raises
    # KeyError.  Either way the response goes out unchanged.
    try:
        deadline = (datetime.now(timezone.utc) + REFRESH_WINDOW).timestamp()
        if deadline > get_jwt()["exp"]:
            renewed = create_access_token(identity=get_jwt_identity())
            set_access_cookies(response, renewed)
    except (RuntimeError, KeyError):
        pass
    return response


@app.post("/login")
def login():
    resp = jsonify(msg="login successful")
    set_access_cookies(resp, create_access_token(identity="example_user"))
    return resp


@app.post("/logout")
def logout():
    resp = jsonify(msg="logout successful")
    unset_jwt_cookies(resp)
    return resp


@app.route("/protected")
@jwt_required()
def protected():
    return jsonify(foo="bar")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

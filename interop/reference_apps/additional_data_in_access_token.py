"""Reference app for upstream ``examples/additional_data_in_access_token.py``.

POST /login     JSON {"username": "test", "password": "test"}
                -> {"access_token": ...} with extra claims aud="some_audience", foo="bar"
GET  /protected -> {"foo": <the token's "foo" claim>}
"""

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, jwt_required

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret")
JWTManager(app)

EXTRA_CLAIMS = {"aud": "some_audience", "foo": "bar"}


@app.post("/login")
def login():
    body = request.get_json()
    username, password = body.get("username"), body.get("password")
    if username != "test" or password != "test":
        return jsonify(msg="Bad username or password"), 401
    token = create_access_token(username, additional_claims=dict(EXTRA_CLAIMS))
    return jsonify(access_token=token)


@app.get("/protected")
@jwt_required()
def protected():
    # A token without "foo" raises KeyError here (HTTP 500), as upstream.
    return jsonify(foo=get_jwt()["foo"])


if __name__ == "__main__":
    from _serve import serve

    serve(app)

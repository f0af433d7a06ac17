"""Reference app for upstream ``examples/optional_protected_endpoints.py``.

POST /login                JSON {"username": "test", "password": "test"} -> {"access_token": ...}
GET  /optionally_protected token optional -> {"logged_in_as": <identity or "anonymous user">}
"""

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt_identity,
    jwt_required,
)

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret")
JWTManager(app)


@app.post("/login")
def login():
    body = request.get_json()
    username, password = body.get("username"), body.get("password")
    if username != "test" or password != "test":
        return jsonify(msg="Bad username or password"), 401
    return jsonify(access_token=create_access_token(identity=username))


@app.get("/optionally_protected")
@jwt_required(optional=True)
def optionally_protected():
    # A falsy identity (no token, or an empty "sub") counts as anonymous.
    who = get_jwt_identity() or "anonymous user"
    return jsonify(logged_in_as=who)


if __name__ == "__main__":
    from _serve import serve

    serve(app)

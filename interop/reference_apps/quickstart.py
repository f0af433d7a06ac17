"""The project's own quick-start app (not an upstream example).

POST /login     JSON {"username": "testuser", "password": "testpass"} -> {"access_token": ...}
GET  /protected Authorization: Bearer <access token> -> {"logged_in_as": <identity>}

Secret: $FLASK_JWT_SECRET_KEY, else $JWT_SECRET_KEY, else "super-secret-dev-key".
Run:    python interop/reference_apps/quickstart.py            (PORT, default 5000)
   or:  cd interop/reference_apps && gunicorn quickstart:app
"""

import os

from flask import Flask, jsonify, request
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt_identity,
    jwt_required,
)

DEFAULT_SECRET = "super-secret-dev-key"


def secret_from_env():
    for var in ("FLASK_JWT_SECRET_KEY", "JWT_SECRET_KEY"):
        if os.environ.get(var):
            return os.environ[var]
    return DEFAULT_SECRET


app = Flask(__name__)
app.config["JWT_SECRET_KEY"] = secret_from_env()
JWTManager(app)


@app.post("/login")
def login():
    body = request.get_json()
    username = body.get("username")
    password = body.get("password")
    if username != "testuser" or password != "testpass":
        return jsonify(msg="Bad username or password"), 401
    return jsonify(access_token=create_access_token(identity=username))


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity())


if __name__ == "__main__":
    from _serve import serve

    serve(app)

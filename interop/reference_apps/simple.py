"""Reference app for upstream ``examples/simple.py``.

POST /login     JSON {"username": "test", "password": "test"} -> {"access_token": ...}
GET  /protected Authorization: Bearer <access token> -> {"logged_in_as": <identity>}
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
    # request.get_json() is what request.json does: 415 for a non-JSON
    # content type, 400 for unparsable JSON; a non-object body then fails on
    # .get() (500), as upstream.
    body = request.get_json()
    user, pwd = body.get("username"), body.get("password")
    if (user, pwd) != ("test", "test"):
        return jsonify(msg="Bad username or password"), 401
    return jsonify(access_token=create_access_token(identity=user))


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(logged_in_as=get_jwt_identity()), 200


if __name__ == "__main__":
    from _serve import serve

    serve(app)

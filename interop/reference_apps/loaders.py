"""Reference app for upstream ``examples/loaders.py``.

Same routes as ``simple`` without credentials, plus a custom response for
expired tokens: 401 {"code": "dave", "err": "I can't let you do that"}.
POST /login     -> {"access_token": ...}
GET  /protected -> {"hello": "world"}
"""

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, jwt_required

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret")
jwt = JWTManager(app)


@jwt.expired_token_loader
def expired_token_response(_jwt_header, _jwt_payload):
    return jsonify(code="dave", err="I can't let you do that"), 401


@app.post("/login")
def login():
    return jsonify(access_token=create_access_token("example_user"))


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(hello="world")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

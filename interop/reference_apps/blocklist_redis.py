"""Reference app for upstream ``examples/blocklist_redis.py``.

Revoked token ids (jti) are kept in Redis at $REDIS_URL
(default redis://127.0.0.1:6379/0) with a one-hour TTL.
POST   /login     -> {"access_token": ...} (1 hour)
DELETE /logout    revokes the presented access token -> {"msg": "Access token revoked"}
GET    /protected -> {"hello": "world"}; a revoked token gets 401 "Token has been revoked"
"""

import os
from datetime import timedelta

import redis
from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, jwt_required

ACCESS_EXPIRES = timedelta(hours=1)

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret", JWT_ACCESS_TOKEN_EXPIRES=ACCESS_EXPIRES)
jwt = JWTManager(app)

blocklist = redis.StrictRedis.from_url(
    os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), decode_responses=True
)


@jwt.token_in_blocklist_loader
def is_revoked(_jwt_header, jwt_payload):
    # A token without "jti" makes redis-py raise (HTTP 500), as upstream.
    return blocklist.get(jwt_payload["jti"]) is not None


@app.post("/login")
def login():
    return jsonify(access_token=create_access_token(identity="example_user"))


@app.delete("/logout")
@jwt_required()
def logout():
    # Keep the entry only as long as the token could still be valid.
    blocklist.set(get_jwt()["jti"], "", ex=ACCESS_EXPIRES)
    return jsonify(msg="Access token revoked")


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(hello="world")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

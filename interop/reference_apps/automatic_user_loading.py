"""Reference app for upstream ``examples/automatic_user_loading.py``.

Upstream keeps users in Flask-SQLAlchemy over in-memory SQLite; this copy
uses the standard library's sqlite3 (also in memory) with the same seed users
and the same responses.
POST /login     JSON {"username": <name>, "password": "password"} -> {"access_token": ...}
                (identity = the user's integer id), else 401 "Wrong username or password"
GET  /who_am_i  -> {"id": ..., "full_name": ..., "username": ...} of the token's user

Note: the identity written into "sub" is an integer, which PyJWT >= 2.10
rejects on decode ("Subject must be a string", 422).  This reproduces the
upstream example as it behaves with the installed PyJWT.
"""

import sqlite3
import threading
from dataclasses import dataclass
from hmac import compare_digest

from flask import Flask, jsonify, request
from flask_jwt_extended import JWTManager, create_access_token, current_user, jwt_required

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret")
jwt = JWTManager(app)

SEED_USERS = [
    ("Bruce Wayne", "batman"),
    ("Ann Takamaki", "panther"),
    ("Jester Lavore", "little_sapphire"),
]


@dataclass
class User:
    id: int
    username: str
    full_name: str

    def check_password(self, password):
        # Demo only: every user's password is "password".  compare_digest
        # raises TypeError for non-str input (HTTP 500), as upstream.
        return compare_digest(password, "password")


class UserStore:
    """One shared in-memory database, guarded by a lock (threaded server)."""

    def __init__(self):
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE user (id INTEGER PRIMARY KEY,"
                " username TEXT NOT NULL UNIQUE, full_name TEXT NOT NULL)"
            )
            self._db.executemany(
                "INSERT INTO user (full_name, username) VALUES (?, ?)", SEED_USERS
            )

    def _one_or_none(self, column, value):
        with self._lock:
            rows = self._db.execute(
                f"SELECT id, username, full_name FROM user WHERE {column} = ?",
                (value,),
            ).fetchall()
        if len(rows) > 1:
            raise LookupError("more than one row")
        return User(*rows[0]) if rows else None

    def by_username(self, username):
        return self._one_or_none("username", username)

    def by_id(self, user_id):
        return self._one_or_none("id", user_id)


users = UserStore()


@jwt.user_identity_loader
def identity_of(user):
    return user.id


@jwt.user_lookup_loader
def load_user(_jwt_header, jwt_data):
    return users.by_id(jwt_data["sub"])


@app.post("/login")
def login():
    body = request.get_json()
    username = body.get("username")
    password = body.get("password")
    user = users.by_username(username)
    if user is None or not user.check_password(password):
        return jsonify("Wrong username or password"), 401
    return jsonify(access_token=create_access_token(identity=user))


@app.get("/who_am_i")
@jwt_required()
def who_am_i():
    return jsonify(
        id=current_user.id,
        full_name=current_user.full_name,
        username=current_user.username,
    )


if __name__ == "__main__":
    from _serve import serve

    serve(app)

"""Reference app for upstream ``examples/blocklist_database.py``.

Upstream stores revoked token ids in Flask-SQLAlchemy over in-memory SQLite;
this copy uses the standard library's sqlite3 (also in memory) with the same
table shape and the same responses.
POST   /login     -> {"access_token": ...} (1 hour)
DELETE /logout    revokes the presented access token -> {"msg": "JWT revoked"}
GET    /protected -> {"hello": "world"}; a revoked token gets 401 "Token has been revoked"
"""

import sqlite3
import threading
from datetime import datetime, timedelta, timezone

from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, create_access_token, get_jwt, jwt_required

ACCESS_EXPIRES = timedelta(hours=1)

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret", JWT_ACCESS_TOKEN_EXPIRES=ACCESS_EXPIRES)
jwt = JWTManager(app)


class Blocklist:
    """Table token_blocklist(id, jti NOT NULL, created_at NOT NULL), in memory."""

    def __init__(self):
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE token_blocklist (id INTEGER PRIMARY KEY,"
                " jti VARCHAR(36) NOT NULL, created_at DATETIME NOT NULL)"
            )
            self._db.execute("CREATE INDEX ix_token_blocklist_jti ON token_blocklist (jti)")

    def contains(self, jti):
        with self._lock:
            rows = self._db.execute(
                "SELECT id FROM token_blocklist WHERE jti = ?", (jti,)
            ).fetchall()
        if len(rows) > 1:  # SQLAlchemy's .scalar() refuses several rows
            raise LookupError("more than one row")
        return bool(rows)

    def add(self, jti):
        # A missing jti (None) violates NOT NULL: IntegrityError, HTTP 500.
        now = datetime.now(timezone.utc).isoformat(sep=" ")
        with self._lock, self._db:
            self._db.execute(
                "INSERT INTO token_blocklist (jti, created_at) VALUES (?, ?)", (jti, now)
            )


revoked = Blocklist()


@jwt.token_in_blocklist_loader
def is_revoked(_jwt_header, jwt_payload):
    return revoked.contains(jwt_payload["jti"])


@app.post("/login")
def login():
    return jsonify(access_token=create_access_token(identity="example_user"))


@app.delete("/logout")
@jwt_required()
def logout():
    revoked.add(get_jwt()["jti"])
    return jsonify(msg="JWT revoked")


@app.get("/protected")
@jwt_required()
def protected():
    return jsonify(hello="world")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

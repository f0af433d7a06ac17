"""Reference app for upstream ``examples/custom_decorators.py``.

POST /login     -> {"access_token": ...} for "admin_user" with is_administrator=true
GET  /protected needs a token whose "is_administrator" claim is truthy
                -> {"foo": "bar"}, else 403 {"msg": "Admins only!"}
"""

from functools import wraps

from flask import Flask, jsonify
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt,
    verify_jwt_in_request,
)

app = Flask(__name__)
app.config.update(JWT_SECRET_KEY="super-secret")
JWTManager(app)


def admin_required():
    """Verify the JWT, then demand a truthy ``is_administrator`` claim.

    A token without the claim raises KeyError (HTTP 500), as upstream.
    """

    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            verify_jwt_in_request()
            if not get_jwt()["is_administrator"]:
                return jsonify(msg="Admins only!"), 403
            return view(*args, **kwargs)

        return guarded

    return decorate


@app.post("/login")
def login():
    token = create_access_token(
        "admin_user", additional_claims={"is_administrator": True}
    )
    return jsonify(access_token=token)


@app.get("/protected")
@admin_required()
def protected():
    return jsonify(foo="bar")


if __name__ == "__main__":
    from _serve import serve

    serve(app)

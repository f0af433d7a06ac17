"""What Flask-JWT-Extended 4.7.1 answers to the hostile tokens of tests/attacks.rs.

Builds the same attack tokens as the Rust suite (by hand: header JSON, payload JSON,
signature), sends each to a quickstart-like Flask app (HS256) and to RS256 and ES256
apps, and prints one line per case: name, status, message. A 500 means the reference
crashes on that input; the port answers those with a 4xx (see SECURITY.md).

Run from the repository root:  python interop/attack_reference.py
Needs flask-jwt-extended==4.7.1 (and the PyJWT/cryptography it brings).
"""

import base64
import hashlib
import hmac
import json
import time
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from flask import Flask, jsonify
from flask_jwt_extended import JWTManager, get_jwt_identity, jwt_required

KEYS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "keys"
SECRET = "super-secret"


def key(name):
    return (KEYS / name).read_bytes()


def b64(data):
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":")).encode()
    elif isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs(alg, secret, msg):
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384, "HS512": hashlib.sha512}[alg]
    return hmac.new(secret, msg, digest).digest()


def rs(pem, msg, pss=False):
    private = serialization.load_pem_private_key(pem, None)
    pad = padding.PSS(padding.MGF1(hashes.SHA256()), 32) if pss else padding.PKCS1v15()
    return private.sign(msg, pad, hashes.SHA256())


def es(pem, msg):
    private = serialization.load_pem_private_key(pem, None)
    r, s = decode_dss_signature(private.sign(msg, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def token(header, payload, signer=None, signature=None):
    signing_input = f"{b64(header)}.{b64(payload)}"
    if signature is None:
        signature = signer(signing_input.encode()) if signer else b""
    return f"{signing_input}.{b64(signature)}"


def claims(**extra):
    now = int(time.time())
    base = {"fresh": False, "iat": now, "jti": "6d1a4f0e-7c34-4b40-9c0a-2a8f2f3f2c11",
            "type": "access", "sub": "testuser", "nbf": now, "exp": now + 900}
    for name, value in extra.items():
        if value is DROP:
            base.pop(name, None)
        else:
            base[name] = value
    return base


DROP = object()


def app_for(**config):
    app = Flask(__name__)
    app.config.update(config)
    JWTManager(app)

    @app.get("/protected")
    @jwt_required()
    def protected():
        return jsonify(logged_in_as=get_jwt_identity())

    return app


def run(app, cases):
    client = app.test_client()
    for name, authorization in cases:
        response = client.get("/protected", headers={"Authorization": authorization})
        body = response.get_json(silent=True) or {}
        print(f"{name:40} {response.status_code} {body.get('msg', response.data[:60])!r}")


def hs_cases():
    secret = SECRET.encode()
    good = lambda h, p: token(h, p, lambda m: hs("HS256", secret, m))
    hdr = {"alg": "HS256", "typ": "JWT"}
    valid = good(hdr, claims())
    cases = []
    for spelling in ["none", "None", "NONE", "nOnE"]:
        h = {"alg": spelling, "typ": "JWT"}
        cases.append((f"alg_{spelling}_unsigned", "Bearer " + token(h, claims())))
        cases.append((f"alg_{spelling}_signed", "Bearer " + good(h, claims())))
    head, payload, _ = valid.split(".")
    cases += [
        ("stripped_signature", f"Bearer {head}.{payload}."),
        ("two_segments", f"Bearer {head}.{payload}"),
        ("borrowed_signature", "Bearer " + ".".join(
            [head, b64(claims(sub="admin")), valid.split(".")[2]])),
        ("other_secret", "Bearer " + token(hdr, claims(), lambda m: hs("HS256", b"other", m))),
        ("hs512", "Bearer " + token({"alg": "HS512"}, claims(), lambda m: hs("HS512", secret, m))),
        ("rs256_on_hs", "Bearer " + token({"alg": "RS256"}, claims(),
                                          lambda m: rs(key("rsa2048_private.pem"), m))),
        ("alg_empty", "Bearer " + good({"alg": ""}, claims())),
        ("alg_missing", "Bearer " + good({"typ": "JWT"}, claims())),
        ("alg_number", "Bearer " + good({"alg": 256}, claims())),
        ("alg_xyz", "Bearer " + good({"alg": "XYZ"}, claims())),
        ("alg_es512", "Bearer " + good({"alg": "ES512"}, claims())),
        ("crit_unknown", "Bearer " + good({"alg": "HS256", "crit": ["foo"], "foo": 1}, claims())),
        ("crit_not_list", "Bearer " + good({"alg": "HS256", "crit": "foo"}, claims())),
        ("kid_number", "Bearer " + good({"alg": "HS256", "kid": 7}, claims())),
        ("kid_traversal_valid", "Bearer " + good({"alg": "HS256", "kid": "../../etc/passwd"}, claims())),
        ("jku_attacker", "Bearer " + token({"alg": "HS256", "jku": "http://127.0.0.1:9/k"}, claims(),
                                           lambda m: hs("HS256", b"attacker", m))),
        ("exp_string_past", "Bearer " + good(hdr, claims(exp="1"))),
        ("exp_string_future", "Bearer " + good(hdr, claims(exp=str(int(time.time()) + 900)))),
        ("exp_string_word", "Bearer " + good(hdr, claims(exp="tomorrow"))),
        ("exp_float_past", "Bearer " + good(hdr, claims(exp=1.5))),
        ("exp_negative", "Bearer " + good(hdr, claims(exp=-1))),
        ("exp_huge", "Bearer " + good(hdr, claims(exp=10**30))),
        ("exp_1e400", "Bearer " + good(hdr, '{"sub":"testuser","exp":1e400}')),
        ("exp_null", "Bearer " + good(hdr, claims(exp=None))),
        ("exp_list", "Bearer " + good(hdr, claims(exp=[1]))),
        ("exp_bool", "Bearer " + good(hdr, claims(exp=True))),
        ("nbf_future_float", "Bearer " + good(hdr, claims(nbf=time.time() + 3600.5))),
        ("nbf_string_word", "Bearer " + good(hdr, claims(nbf="soon"))),
        ("nbf_object", "Bearer " + good(hdr, claims(nbf={}))),
        ("iat_future_huge", "Bearer " + good(hdr, claims(iat=10**30))),
        ("iat_string_word", "Bearer " + good(hdr, claims(iat="now"))),
        ("sub_missing", "Bearer " + good(hdr, claims(sub=DROP))),
        ("sub_int", "Bearer " + good(hdr, claims(sub=1))),
        ("sub_null", "Bearer " + good(hdr, claims(sub=None))),
        ("jti_int", "Bearer " + good(hdr, claims(jti=1))),
        ("jti_missing", "Bearer " + good(hdr, claims(jti=DROP))),
        ("payload_array", "Bearer " + good(hdr, [claims()])),
        ("header_array", "Bearer " + good(["HS256"], claims())),
        ("payload_nested_100", "Bearer " + good(hdr, '{"sub":"testuser","x":' + "[" * 100 + "]" * 100 + "}")),
        ("payload_nested_5000", "Bearer " + good(hdr, '{"sub":"testuser","x":' + "[" * 5000 + "]" * 5000 + "}")),
        ("payload_not_utf8", "Bearer " + good(hdr, b"\xff\xfe\xfd")),
        ("header_bad_b64", "Bearer !!!." + payload + ".sig"),
        ("payload_bad_b64", f"Bearer {head}.@@@.sig"),
        ("signature_bad_b64", f"Bearer {head}.{payload}.***"),
        ("four_segments", f"Bearer {valid}.x"),
        ("one_segment", "Bearer foobarbaz"),
        ("empty_segments", "Bearer .."),
        ("huge_token", "Bearer " + good(hdr, claims(pad="A" * 1_000_000))),
        ("bearer_comma_comma_zero", "Bearer ,,0"),
    ]
    return cases, valid


def asymmetric_cases(alg):
    if alg == "RS256":
        private, public = key("rsa2048_private.pem"), key("rsa2048_public.pem")
        attacker = key("rsa2048_other_private.pem")
        sign = lambda pem: (lambda m: rs(pem, m))
    else:
        private, public = key("ec256_private.pem"), key("ec256_public.pem")
        attacker = key("ec256_attacker_private.pem")
        sign = lambda pem: (lambda m: es(pem, m))
    hdr = {"alg": alg, "typ": "JWT"}
    valid = token(hdr, claims(), sign(private))
    head, payload, _ = valid.split(".")
    cases = [
        ("hs256_keyed_with_public_pem", "Bearer " + token({"alg": "HS256"}, claims(),
                                                          lambda m: hs("HS256", public, m))),
        ("attacker_key", "Bearer " + token(hdr, claims(), sign(attacker))),
        ("alg_none", "Bearer " + token({"alg": "none"}, claims())),
        ("stripped_signature", f"Bearer {head}.{payload}."),
        ("zero_signature", "Bearer " + token(hdr, claims(), signature=b"\0" * 64)),
        ("jwk_embedded_attacker", "Bearer " + token({**hdr, "jwk": {"kty": "RSA" if alg == "RS256" else "EC"}},
                                                    claims(), sign(attacker))),
    ]
    if alg == "RS256":
        cases.append(("ps256_same_key", "Bearer " + token({"alg": "PS256"}, claims(),
                                                          lambda m: rs(private, m, pss=True))))
    return cases, valid, private, public


if __name__ == "__main__":
    print("== HS256 (quickstart-like)")
    cases, valid = hs_cases()
    run(app_for(JWT_SECRET_KEY=SECRET), cases + [("valid", "Bearer " + valid)])
    for alg in ["RS256", "ES256"]:
        print(f"== {alg}")
        cases, valid, private, public = asymmetric_cases(alg)
        run(app_for(JWT_ALGORITHM=alg, JWT_PRIVATE_KEY=private, JWT_PUBLIC_KEY=public),
            cases + [("valid", "Bearer " + valid)])
        print(f"== {alg} + HS256 in JWT_DECODE_ALGORITHMS")
        run(app_for(JWT_ALGORITHM=alg, JWT_PRIVATE_KEY=private, JWT_PUBLIC_KEY=public,
                    JWT_DECODE_ALGORITHMS=[alg, "HS256"]), cases[:1])

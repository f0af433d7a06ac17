#!/usr/bin/env python3
"""Generate the PEM key fixtures used by the Rust tests and the interop fixtures.

Writes into tests/fixtures/keys/ (relative to the repository root). Existing files are
left untouched unless --force is given, so the committed fixtures stay stable.

Requires the `cryptography` package.

Files (all PEM):

  rsa2048_pkcs1_private.pem   RSA 2048 private key, PKCS#1 (BEGIN RSA PRIVATE KEY)
  rsa2048_pkcs1_public.pem    same key, public part, PKCS#1 (BEGIN RSA PUBLIC KEY)
  rsa2048_private.pem         same key, PKCS#8 (BEGIN PRIVATE KEY)
  rsa2048_public.pem          same key, SubjectPublicKeyInfo (BEGIN PUBLIC KEY)
  rsa2048_other_*.pem         a second, unrelated RSA 2048 key in the same four forms
  ec256_sec1_private.pem      EC P-256 private key, SEC1 (BEGIN EC PRIVATE KEY)
  ec256_private.pem           same key, PKCS#8
  ec256_public.pem            same key, SubjectPublicKeyInfo
  ec384_*.pem                 EC P-384, same three forms
  ec521_*.pem                 EC P-521 (ES512), same three forms
  ed25519_private.pem         Ed25519 private key, PKCS#8
  ed25519_public.pem          same key, SubjectPublicKeyInfo
  ec256_attacker_*.pem        unrelated EC P-256 key (SEC1, PKCS#8, public)
  ec521_attacker_*.pem        unrelated EC P-521 key (SEC1, PKCS#8, public)
  ed25519_attacker_*.pem      unrelated Ed25519 key (PKCS#8, public)
"""

import argparse
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_OUT = os.path.join(ROOT, "tests", "fixtures", "keys")

PEM = serialization.Encoding.PEM
NOENC = serialization.NoEncryption()


def priv(key, fmt):
    return key.private_bytes(PEM, fmt, NOENC)


def pub(key, fmt):
    return key.public_key().public_bytes(PEM, fmt)


def rsa_files(prefix):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        f"{prefix}_pkcs1_private.pem": priv(key, serialization.PrivateFormat.TraditionalOpenSSL),
        f"{prefix}_pkcs1_public.pem": pub(key, serialization.PublicFormat.PKCS1),
        f"{prefix}_private.pem": priv(key, serialization.PrivateFormat.PKCS8),
        f"{prefix}_public.pem": pub(key, serialization.PublicFormat.SubjectPublicKeyInfo),
    }


def ec_files(prefix, curve):
    key = ec.generate_private_key(curve)
    return {
        f"{prefix}_sec1_private.pem": priv(key, serialization.PrivateFormat.TraditionalOpenSSL),
        f"{prefix}_private.pem": priv(key, serialization.PrivateFormat.PKCS8),
        f"{prefix}_public.pem": pub(key, serialization.PublicFormat.SubjectPublicKeyInfo),
    }


def ed25519_files(prefix):
    key = ed25519.Ed25519PrivateKey.generate()
    return {
        f"{prefix}_private.pem": priv(key, serialization.PrivateFormat.PKCS8),
        f"{prefix}_public.pem": pub(key, serialization.PublicFormat.SubjectPublicKeyInfo),
    }


# Each group is generated as a unit (all files of a group come from one key), so a group
# is only (re)generated when --force is given or none of its files exist yet.
GROUPS = [
    ("rsa2048", lambda: rsa_files("rsa2048")),
    ("rsa2048_other", lambda: rsa_files("rsa2048_other")),
    ("ec256", lambda: ec_files("ec256", ec.SECP256R1())),
    ("ec384", lambda: ec_files("ec384", ec.SECP384R1())),
    ("ec521", lambda: ec_files("ec521", ec.SECP521R1())),
    ("ed25519", lambda: ed25519_files("ed25519")),
    ("ec256_attacker", lambda: ec_files("ec256_attacker", ec.SECP256R1())),
    ("ec521_attacker", lambda: ec_files("ec521_attacker", ec.SECP521R1())),
    ("ed25519_attacker", lambda: ed25519_files("ed25519_attacker")),
]

FILE_NAMES = {
    "rsa": ["{p}_pkcs1_private.pem", "{p}_pkcs1_public.pem", "{p}_private.pem", "{p}_public.pem"],
    "ec": ["{p}_sec1_private.pem", "{p}_private.pem", "{p}_public.pem"],
    "ed25519": ["{p}_private.pem", "{p}_public.pem"],
}


def group_files(name):
    kind = "rsa" if name.startswith("rsa") else "ec" if name.startswith("ec") else "ed25519"
    return [f.format(p=name) for f in FILE_NAMES[kind]]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=DEFAULT_OUT, help="output directory")
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    args = parser.parse_args(argv)

    os.makedirs(args.out, exist_ok=True)
    status = 0
    for name, make in GROUPS:
        names = group_files(name)
        existing = [f for f in names if os.path.exists(os.path.join(args.out, f))]
        if existing and not args.force:
            if len(existing) != len(names):
                missing = sorted(set(names) - set(existing))
                print(
                    f"{name}: some files exist, others are missing ({', '.join(missing)}); "
                    "rerun with --force to regenerate the whole group",
                    file=sys.stderr,
                )
                status = 1
            else:
                print(f"{name}: exists, kept")
            continue
        files = make()
        assert sorted(files) == sorted(names), (files.keys(), names)
        for fname, data in files.items():
            with open(os.path.join(args.out, fname), "wb") as fh:
                fh.write(data)
        print(f"{name}: wrote {', '.join(sorted(files))}")
    return status


if __name__ == "__main__":
    sys.exit(main())

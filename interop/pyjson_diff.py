#!/usr/bin/env python3
"""Differential corpus for src/token/pyjson.rs (Python-compatible JSON error text).

Prints JSON lines {"input_hex": "...", "expected": "..."}: random and mutated byte
strings together with `str(e)` for the exception CPython raises in `json.loads(input)`
(`expected` is "" when the input decodes). A Rust harness feeds each input to
`python_json_error` and counts agreement.

Inputs nested deeper than 64 levels are never generated: the depth at which CPython
raises RecursionError depends on the Python stack, so it is tested separately.

Usage: pyjson_diff.py [--count N] [--seed S] > cases.jsonl
       pyjson_diff.py --rust-cases    # the curated unit-test table of pyjson.rs
"""

import argparse
import json
import random
import sys

SEEDS = [
    b'{"alg":"HS256","typ":"JWT"}',
    b'{"alg":"RS256","kid":"k1","typ":"JWT"}',
    b'{"fresh":false,"iat":1700000000,"jti":"6c1c5e1e-8f1c-4a55-9d5e-3d1f0a2b7c9d","type":"access",'
    b'"sub":"user","nbf":1700000000,"csrf":"x","exp":1700000900}',
    b'{"sub":"me","roles":["a","b"],"n":-12.5e+3,"o":{"x":null,"y":true,"z":false}}',
    b'{"a":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/"}',
    b'[1, 2.0, -0, 1E5, "s", {"k": []}]',
    b' {\n  "a" : 1 ,\r\n  "b" :\t[ ] \n}\n',
    '{"unicode":"h\u00e9llo \u2603 \U0001F600"}'.encode("utf-8"),
    b'"just a string"',
    b"123",
    b"null",
    b'{"x":NaN,"y":Infinity,"z":-Infinity}',
]

ALPHABET = [
    b"{", b"}", b"[", b"]", b'"', b":", b",", b"\\", b"u", b"0", b"1", b"9", b"a", b"F", b"e", b"E",
    b"+", b"-", b".", b"n", b"t", b"f", b"N", b"I", b" ", b"\t", b"\n", b"\r", b"\x00", b"\x01",
    b"\x1f", b"\x7f", b"\xc3", b"\xa9", b"\xed", b"\xa0", b"\x80", b"\xbf", b"\xff", b"\xfe",
    b"\xf0", b"\x9f", b"\xe2", b"\xef", b"\xbb", b"\xf4", b"\x90", b"\xc0", b"\xc2", b"\xf5",
    b"\\u", b"\\ud800", b"\\udc00", b"\\ud83d\\ude00", b"\\u12", b"\\x", b"null", b"true", b"false",
    b"NaN", b"Infinity", b"-Infinity", b"1e", b"1e+", b"0.", b"-", b"\xef\xbb\xbf", b"\xed\xa0\x80",
    b"\xed\xb0\x80", b'""', b"{}", b"[]", b'"k":', b"\\n", b"\\\\", b'\\"',
]


def mutate(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        pos = rng.randint(0, len(data))
        if op < 0.3 and data:
            del data[min(pos, len(data) - 1)]
        elif op < 0.6:
            data[pos:pos] = rng.choice(ALPHABET)
        elif op < 0.8 and data:
            p = min(pos, len(data) - 1)
            data[p:p + 1] = rng.choice(ALPHABET)
        elif op < 0.9:
            data = data[:pos]
        else:
            data[pos:pos] = bytes([rng.randrange(256)])
    return bytes(data)


def random_json(rng, depth=0):
    r = rng.random()
    if depth > 4 or r < 0.3:
        return rng.choice([
            b"null", b"true", b"false", b"0", b"-1", b"3.25", b"1e10", b"-0.5E-3", b'"x"', b'""',
            b'"\\u0041\\n"', '"\u00e9"'.encode(), b"12345678901234567890123",
        ])
    ws = lambda: rng.choice([b"", b"", b" ", b"\n", b"\t", b" \r\n "])  # noqa: E731
    if r < 0.65:
        items = [random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
        return b"[" + ws() + (ws() + b"," + ws()).join(items) + ws() + b"]"
    keys = [b'"k%d"' % i for i in range(rng.randint(0, 3))]
    return b"{" + ws() + b",".join(k + ws() + b":" + ws() + random_json(rng, depth + 1) for k in keys) + ws() + b"}"


def encode_variant(rng, data):
    """Sometimes re-encode the (decodable) text as UTF-16/32 or add a BOM."""
    r = rng.random()
    if r > 0.15:
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    codec = rng.choice(["utf-16-le", "utf-16-be", "utf-16", "utf-32-le", "utf-32-be", "utf-32", "utf-8-sig"])
    try:
        out = text.encode(codec)
    except UnicodeEncodeError:
        return data
    if rng.random() < 0.3 and out:
        out = out[: rng.randint(0, len(out))]
    return out


def expected(data):
    try:
        json.loads(data)
        return ""
    except RecursionError:
        return None
    except ValueError as exc:
        return str(exc)


def generate(rng):
    r = rng.random()
    if r < 0.45:
        data = mutate(rng, rng.choice(SEEDS))
    elif r < 0.8:
        data = random_json(rng)
        if rng.random() < 0.8:
            data = mutate(rng, data)
    elif r < 0.9:
        data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 12)))
    else:
        data = b"".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 10)))
    data = encode_variant(rng, data)
    # Long integers around the 4300-digit limit.
    if rng.random() < 0.01:
        data = b"[" + b"-" * rng.randint(0, 1) + b"7" * rng.randint(4290, 4310) + rng.choice([b"]", b".5]", b"e1]"])
    return data


# Curated inputs for the `CASES` table in src/token/pyjson.rs.
CURATED = [
    # accepted by CPython (the mimic returns "")
    b'{"alg":"HS256","typ":"JWT"}', b" [1, 2.5e-3, -0, true, false, null] \n", b'"\\ud800"', b'"\\ud83d\\ude00"',
    b'"\xed\xa0\x80"', b"NaN", b"-Infinity", b'{"x":Infinity}', b"1e400", b"\xef\xbb\xbf{}",
    '{"a":1}'.encode("utf-16-le"), '{"a":1}'.encode("utf-16-be"), '{"a":1}'.encode("utf-16"),
    '{"a":1}'.encode("utf-32-le"), '{"a":1}'.encode("utf-32-be"), '{"a":1}'.encode("utf-32"),
    b'{"a":1,"a":2}', b'"\x7f"',
    # Expecting value
    b"", b" ", b"not json", b"[", b"[1,", b"[1,]", b'{"a":}', b'{"a":', b"-", b"-x", b"--1", b"+1", b".5",
    b"nul", b"tru", b"fals", b"Na", b"Infinit", b"-Infinit", b"\n\n  x", b"\xef\xbb\xbf\xef\xbb\xbf{}",
    b"\x00", b"a\x00", b"\x00\x00\x00", b"\xed\xa0\x80",
    # Expecting property name enclosed in double quotes
    b"{", b"{ ", b"{'a':1}", b'{"a":1,}', b'{"a":1, ', b"{a:1}", b'{"a":1,\n\n }',
    # Expecting ':' delimiter
    b'{"a"', b'{"a" 1}', b'{"a";1}', b'{"a"\n,',
    # Expecting ',' delimiter
    b'{"a":1', b'{"a":1 "b":2}', b"[1 2]", b"[1", b'{"a":"b"]', b"[1.]", b"[1e]", b"[1e+]", b"[01]",
    b'{"a":nulll}', b'["\xc3\xa9" 1]',
    # Extra data
    b"{} x", b"{}{}", b"1 2", b"01", b"1.", b"1e", b"1e+", b"1E-", b"0x10", b"truex", b'"a" "b"', b"[]]",
    b"1\n2", b'"\xf0\x9f\x98\x80"x',
    # strings
    b'"abc', b'"', b'["a', b'{"a":"b', b'"\\', b'"\\"', b'"a\x01b"', b'"\t"', b'"\n"', b'{"k\x1f":1}',
    b'"\\x"', b'"\\a"', b'"\\ "', b'"\\u"', b'"\\u12"', b'"\\u12', b'"\\u1234', b'"\\u12345',
    b'"\\u12g4"', b'"\\uD800\\u12"', b'"\\ud800\\uzzzz"', b'"\\ud800\\u0041"', b'"\\ud800\\"',
    b'"\\ud800\\n"', b'"\xc3\xa9\\q"', b'"\xf0\x9f\x98\x80\x01"', b'\n\n"abc',
    # UTF-8 decode errors
    b"\xff", b"\x80", b"\xc0\x80", b"\xc1\xbf", b"\xc2", b"\xc2A", b"\xe2\x82", b"\xe2\x28\xa1", b"\xe2\x82\x28",
    b"\xe0\x80\x80", b"\xe0\x9f", b"\xe0\xa0", b"\xed\xa0", b'"\xed\xa0"', b"\xed\xa0\x41", b"\xf0\x80",
    b"\xf0\x90", b"\xf0\x90\x80", b"\xf0\x90\x41", b"\xf0\x90\x80\x41", b"\xf4\x90\x80\x80", b"\xf5\x80",
    b'{"a":"\xff"}', b"\xef\xbb\xbf\xff", b"\xef\xbb\xbf{\"a\":\xe2\x82}", b"\xef\xbb",
    # UTF-16 / UTF-32
    b"{\x00", b"\x00{", b"{\x00}", b"\xff\xfe{\x00", b"\xff\xfe{\x00\"", b"\xfe\xff\x00{\x00",
    b"{\x00\x00\xd8", b"{\x00\x00\xd8X", b'"\x00\x00\xd8"\x00', b"\x00\xd8{\x00", b"\x00\x00\x11\x00",
    b"{\x00\x00\x00", b"{\x00\x00\x00}\x00\x00", b"\x00\x00\x00{\x00\x11\x00\x00\x00\x00",
    b"\xff\xfe\x00\x00\x00\x00\x11\x00", b"\xff\xfe\x00\x00\x00\xd8\x00\x00", b"\xff\xfe\x00\x00{\x00\x00",
    b"\x00\x00\xfe\xff\x00\x00\x00[\x00\x00\x00x",
    # first error wins
    b'[1, "\x01", \xff', b'{"a":[1,2,{"b":"\\q"}]}', b'{"a":1}\n{"b":2}',
]


def rust_byte_literal(data):
    out = []
    for b in data:
        if b == 0x22:
            out.append('\\"')
        elif b == 0x5C:
            out.append("\\\\")
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return 'b"' + "".join(out) + '"'


def rust_str_literal(text):
    return json.dumps(text)  # ASCII messages: JSON escapes are valid Rust escapes


# Long inputs, tested by `long_integers` in pyjson.rs: (description, input).
LONG = [
    ("4300 digits", b"[" + b"1" * 4300 + b"]"),
    ("4301 digits", b"1" * 4301),
    ("minus and 4301 digits", b"-" + b"1" * 4301),
    ("5000 digits then garbage", b'{"n":' + b"9" * 5000 + b",x"),
    ("5000-digit float", b"1" * 5000 + b".5"),
    ("5000 digits with exponent", b"1" * 5000 + b"e5"),
]


def rust_cases():
    lines = []
    for data in CURATED:
        exp = expected(data)
        assert exp is not None, data
        lines.append(f"        ({rust_byte_literal(data)}, {rust_str_literal(exp)}),")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--rust-cases", action="store_true", help="print the unit-test table")
    args = ap.parse_args()
    if args.rust_cases:
        print(rust_cases())
        for name, data in LONG:
            print(f"// {name}: {expected(data)!r}")
        return 0
    rng = random.Random(args.seed)
    seen = set()
    written = 0
    while written < args.count:
        data = generate(rng)
        if data in seen:
            continue
        seen.add(data)
        exp = expected(data)
        if exp is None:
            continue
        sys.stdout.write(json.dumps({"input_hex": data.hex(), "expected": exp}) + "\n")
        written += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

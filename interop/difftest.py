#!/usr/bin/env python3
"""Differential test: a Rust example server against the Python reference app.

    python interop/difftest.py <example> --rust-cmd "<command>" [--python-app PATH]

Both servers are started on free ports (environment variable PORT), then the
example's scenario is played: every step sends the *same* request to both and
compares the answers (status, JSON body with JWTs compared by structure,
Set-Cookie headers, Allow).  Tokens and cookies handed out by one server are
replayed against both servers, so each token-carrying step also checks
cross-acceptance.  Exit status: 0 all steps matched, 1 differences, 2 setup
error.  See interop/README.md.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.parse
import uuid
import warnings
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path

import jwt as pyjwt

warnings.filterwarnings("ignore", module=r"jwt(\..*)?$")

HERE = Path(__file__).resolve().parent
APPS_DIR = HERE / "reference_apps"
SIDES = ("py", "rs")
IAT_TOLERANCE = 120  # seconds between a token's iat and the harness clock
CSRF_PAIRS = {"access_token_cookie": "csrf_access_token",
              "refresh_token_cookie": "csrf_refresh_token"}


# --------------------------------------------------------------------------
# Servers
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A child process listening on 127.0.0.1:$PORT, in its own process group."""

    def __init__(self, side: str, argv, env: dict, logdir: Path):
        self.side, self.argv, self.env = side, argv, env
        self.logpath = logdir / f"{side}.log"
        self.port = free_port()
        self.proc = None

    def start(self, timeout: float) -> None:
        env = dict(os.environ, **self.env, PORT=str(self.port))
        self.log = open(self.logpath, "wb")
        self.proc = subprocess.Popen(
            self.argv, shell=isinstance(self.argv, str), env=env,
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SetupError(f"{self.side} server exited with status "
                                 f"{self.proc.returncode} before listening\n{self.log_tail()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SetupError(f"{self.side} server did not accept connections on port "
                         f"{self.port} within {timeout:.0f}s\n{self.log_tail()}")

    def stop(self) -> None:
        """Stop the process group this server was started in (ours alone)."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait()
        self.log.close()

    def log_tail(self, n: int = 15) -> str:
        try:
            lines = self.logpath.read_text(errors="replace").splitlines()
        except OSError:
            return ""
        return "\n".join(f"    {self.side}| {line}" for line in lines[-n:])


class SetupError(Exception):
    pass


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    headers: list = field(default_factory=list)
    body: bytes | None = None

    def describe(self) -> str:
        parts = [f"{self.method} {shorten(self.path, 90)}"]
        for k, v in self.headers:
            parts.append(f"{k}: {shorten(v, 70)!r}" if "\t" in v else f"{k}: {shorten(v, 70)}")
        if self.body is not None:
            parts.append(f"body={shorten(self.body.decode('utf-8', 'replace'), 70)!r}")
        return "  |  ".join(parts)


@dataclass
class Response:
    status: int
    headers: list
    body: bytes
    error: str | None = None
    elapsed: float = 0.0  # seconds from connecting to the end of the body

    def all(self, name: str) -> list:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def first(self, name: str):
        values = self.all(name)
        return values[0] if values else None

    @property
    def mime(self) -> str:
        return (self.first("Content-Type") or "").split(";")[0].strip().lower()

    @property
    def is_json(self) -> bool:
        m = self.mime
        return m == "application/json" or (m.startswith("application/") and m.endswith("+json"))

    def json(self):
        return json.loads(self.body)

    def summary(self) -> str:
        if self.error:
            return f"<no response: {self.error}>"
        body = self.body.decode("utf-8", "replace").strip()
        if not self.is_json:
            body = f"<{self.mime or 'no content-type'}, {len(self.body)} bytes>"
        cookies = self.all("Set-Cookie")
        extra = f" +{len(cookies)} Set-Cookie" if cookies else ""
        allow = self.first("Allow")
        extra += f" Allow: {allow}" if allow is not None else ""
        return f"{self.status} {shorten(body, 160)}{extra}"


def send(port: int, req: Request, timeout: float = 15) -> Response:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    started = time.monotonic()
    try:
        conn.putrequest(req.method, req.path, skip_accept_encoding=True)
        for k, v in req.headers:
            conn.putheader(k, v)
        if req.body is not None:
            conn.putheader("Content-Length", str(len(req.body)))
        conn.endheaders(req.body)
        resp = conn.getresponse()
        body = resp.read()
        return Response(resp.status, resp.getheaders(), body,
                        elapsed=time.monotonic() - started)
    except (OSError, http.client.HTTPException) as exc:
        return Response(0, [], b"", error=f"{type(exc).__name__}: {exc}",
                        elapsed=time.monotonic() - started)
    finally:
        conn.close()


def shorten(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


# --------------------------------------------------------------------------
# JWTs: parsing, structural comparison, forging
# --------------------------------------------------------------------------

JWT_SHAPE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(seg: str) -> bytes:
    return base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4))


def parse_jwt(value):
    """(header, payload) if value looks like a JWT with JSON-object segments, else None."""
    if not isinstance(value, str) or not JWT_SHAPE.match(value):
        return None
    try:
        h, p, _ = value.split(".")
        header, payload = json.loads(unb64url(h)), json.loads(unb64url(p))
    except ValueError:
        return None
    if isinstance(header, dict) and isinstance(payload, dict):
        return header, payload
    return None


def jtype(v) -> str:
    if v is None:
        return "null"
    return {bool: "bool", int: "int", float: "float", str: "string",
            list: "array", dict: "object"}.get(type(v), type(v).__name__)


def signature_ok(token: str, secret: str) -> bool:
    h, p, s = token.split(".")
    want = hmac.new(secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
    return hmac.compare_digest(b64url(want), s)


def compare_jwt(py_tok: str, rs_tok: str, where: str, secret, now: float) -> list:
    """Structural comparison of two JWTs issued for the same request."""
    diffs = []
    (ph, pp), (rh, rp) = parse_jwt(py_tok), parse_jwt(rs_tok)
    if set(ph) != set(rh):
        diffs.append(f"{where}: JWT header keys py={sorted(ph)} rs={sorted(rh)}")
    for k in set(ph) & set(rh):
        if ph[k] != rh[k]:
            diffs.append(f"{where}: JWT header {k}: py={ph[k]!r} rs={rh[k]!r}")
    if set(pp) != set(rp):
        diffs.append(f"{where}: JWT claim keys py={sorted(pp)} rs={sorted(rp)} "
                     f"(only py: {sorted(set(pp) - set(rp))}, only rs: {sorted(set(rp) - set(pp))})")
    for k in sorted(set(pp) & set(rp)):
        a, b = pp[k], rp[k]
        if jtype(a) != jtype(b):
            diffs.append(f"{where}: claim {k} type py={jtype(a)} ({a!r}) rs={jtype(b)} ({b!r})")
            continue
        if k in ("jti", "csrf"):
            for side, v in (("rs", b),):  # the reference is trusted; check the port
                if not (isinstance(v, str) and UUID4.match(v)):
                    diffs.append(f"{where}: claim {k} of {side} is not a lowercase UUID4: {v!r}")
        elif k == "iat":
            if isinstance(b, (int, float)) and abs(b - now) > IAT_TOLERANCE:
                diffs.append(f"{where}: claim iat of rs is {b - now:+.0f}s from now")
        elif k in ("exp", "nbf", "fresh") and jtype(a) in ("int", "float"):
            base_a, base_b = pp.get("iat", now), rp.get("iat", now)
            if jtype(base_a) in ("int", "float") and jtype(base_b) in ("int", "float"):
                da, db = a - base_a, b - base_b
                tol = 2 if k == "fresh" else 0
                if abs(da - db) > tol:
                    diffs.append(f"{where}: claim {k} - iat: py={da} rs={db}")
        elif a != b:
            diffs.append(f"{where}: claim {k}: py={a!r} rs={b!r}")
    if secret is not None and rh.get("alg") == "HS256" and not signature_ok(rs_tok, secret):
        diffs.append(f"{where}: rs token's signature does not verify with the example secret")
    return diffs


class Forge:
    """Tokens with the reference claim layout, signed with the example secret."""

    def __init__(self, secret: str, identity="example_user", lifetime: int = 900):
        self.secret, self.identity, self.lifetime = secret, identity, lifetime
        self.defaults = {}  # extra claims every forged token carries (e.g. custom claims)

    def claims(self, *, drop=(), type="access", fresh=False, lifetime=None,
               age: int = 0, **extra) -> dict:
        now = int(time.time()) - age
        life = self.lifetime if lifetime is None else lifetime
        c = {"fresh": fresh, "iat": now, "jti": str(uuid.uuid4()), "type": type,
             "sub": self.identity, "nbf": now, "csrf": str(uuid.uuid4()), "exp": now + life}
        c.update(self.defaults)
        c.update(extra)
        for k in drop:
            c.pop(k, None)
        return c

    def token(self, *, key=None, alg="HS256", headers=None, **claims_kw) -> str:
        """A PyJWT-signed token; keyword arguments go to claims()."""
        return pyjwt.encode(self.claims(**claims_kw), key or self.secret,
                            algorithm=alg, headers=headers)

    def raw(self, header, payload, *, sign=True, sig=None) -> str:
        """Hand-built token for shapes PyJWT refuses to produce."""
        def seg(part):
            if isinstance(part, (bytes, bytearray)):
                return b64url(bytes(part))
            if isinstance(part, str):
                return part
            return b64url(json.dumps(part, separators=(",", ":")).encode())
        h, p = seg(header), seg(payload)
        if sig is None:
            mac = hmac.new(self.secret.encode(), f"{h}.{p}".encode(), hashlib.sha256).digest()
            sig = b64url(mac) if sign else ""
        return f"{h}.{p}.{sig}"


def tamper_signature(tok: str) -> str:
    """Change one character in the middle of the signature (always changes the bytes)."""
    if not parse_jwt(tok) or len(tok.rsplit(".", 1)[1]) < 2:
        return tok + "x"  # not a usable JWT; the step will show what the servers say
    h, p, s = tok.split(".")
    i = len(s) // 2
    return f"{h}.{p}.{s[:i]}{'A' if s[i] != 'A' else 'B'}{s[i + 1:]}"


def tamper_payload(tok: str, **changes) -> str:
    if not parse_jwt(tok):
        return tok + "x"
    h, p, s = tok.split(".")
    payload = json.loads(unb64url(p))
    payload.update(changes)
    return f"{h}.{b64url(json.dumps(payload, separators=(',', ':')).encode())}.{s}"


def noncanonical_signature(tok: str) -> str:
    """Same signature bytes, but the unused low bits of the last base64 char set."""
    if not parse_jwt(tok) or not tok.rsplit(".", 1)[1]:
        return tok
    h, p, s = tok.split(".")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    if len(s) % 4 not in (2, 3):
        return tok  # only lengths 2 and 3 (mod 4) leave unused low bits
    return f"{h}.{p}.{s[:-1]}{alphabet[alphabet.index(s[-1]) ^ 1]}"


# --------------------------------------------------------------------------
# Cookies
# --------------------------------------------------------------------------

@dataclass
class SetCookie:
    name: str
    value: str
    attrs: dict
    raw: str


def parse_set_cookie(raw: str) -> SetCookie:
    first, *rest = raw.split(";")
    name, _, value = first.partition("=")
    attrs = {}
    for part in rest:
        k, eq, v = part.strip().partition("=")
        if k:
            attrs[k.strip().lower()] = v.strip() if eq else True
    return SetCookie(name.strip(), value.strip(), attrs, raw)


def value_kind(v: str) -> str:
    if v == "":
        return "empty"
    if parse_jwt(v):
        return "jwt"
    if UUID4.match(v):
        return "uuid"
    return f"other:{v}"


def attr_view(c: SetCookie) -> dict:
    """Attributes normalised for comparison (Expires reduced to epoch / future)."""
    view = {}
    for k, v in c.attrs.items():
        if k == "expires":
            try:
                ts = parsedate_to_datetime(v).timestamp()
                view[k] = "epoch" if ts == 0 else ("future" if ts > time.time() else "past")
            except (TypeError, ValueError):
                view[k] = f"unparsable:{v}"
        elif k in ("samesite", "domain") and isinstance(v, str):
            view[k] = v.lower()
        elif k in ("httponly", "secure", "partitioned"):
            view[k] = True if v is True or v == "" else v
        else:
            view[k] = v
    return view


def compare_cookies(py: Response, rs: Response, secret, now) -> list:
    diffs = []
    pc = [parse_set_cookie(v) for v in py.all("Set-Cookie")]
    rc = [parse_set_cookie(v) for v in rs.all("Set-Cookie")]
    if len(pc) != len(rc):
        diffs.append(f"Set-Cookie count py={len(pc)} {[c.name for c in pc]} "
                     f"rs={len(rc)} {[c.name for c in rc]}")
    names = sorted({c.name for c in pc} | {c.name for c in rc})
    for name in names:
        a = [c for c in pc if c.name == name]
        b = [c for c in rc if c.name == name]
        if len(a) != len(b):
            diffs.append(f"cookie {name}: py sets it {len(a)}x, rs {len(b)}x")
            continue
        for x, y in zip(a, b):
            kx, ky = value_kind(x.value), value_kind(y.value)
            if kx != ky:
                diffs.append(f"cookie {name}: value kind py={kx} rs={ky}")
            elif kx == "jwt":
                diffs += compare_jwt(x.value, y.value, f"cookie {name}", secret, now)
            vx, vy = attr_view(x), attr_view(y)
            if vx != vy:
                diffs.append(f"cookie {name}: attributes py={vx} rs={vy}\n"
                             f"        py: {x.raw}\n        rs: {y.raw}")
    for side, cookies in (("py", pc), ("rs", rc)):
        diffs += csrf_consistency(side, cookies)
    return diffs


def csrf_consistency(side: str, cookies: list) -> list:
    """A CSRF cookie must carry the csrf claim of the JWT cookie set with it."""
    by_name = {c.name: c for c in cookies}
    out = []
    for jwt_name, csrf_name in CSRF_PAIRS.items():
        j, c = by_name.get(jwt_name), by_name.get(csrf_name)
        if j and c and j.value and c.value:
            parsed = parse_jwt(j.value)
            claim = parsed[1].get("csrf") if parsed else None
            if claim != c.value:
                out.append(f"{side}: cookie {csrf_name}={c.value!r} does not equal the "
                           f"csrf claim {claim!r} of {jwt_name}")
    return out


def update_jar(jar: dict, resp: Response) -> None:
    for raw in resp.all("Set-Cookie"):
        c = parse_set_cookie(raw)
        if c.value == "" or attr_view(c).get("expires") in ("epoch", "past") \
                or c.attrs.get("max-age") == "0":
            jar.pop(c.name, None)
        else:
            jar[c.name] = c.value


# --------------------------------------------------------------------------
# Response comparison
# --------------------------------------------------------------------------

def compare_json(a, b, where: str, secret, now) -> list:
    if jtype(a) != jtype(b):
        return [f"{where}: type py={jtype(a)} ({shorten(repr(a), 80)}) rs={jtype(b)} ({shorten(repr(b), 80)})"]
    if isinstance(a, dict):
        diffs = []
        if set(a) != set(b):
            diffs.append(f"{where}: keys py={sorted(a)} rs={sorted(b)}")
        for k in sorted(set(a) & set(b)):
            diffs += compare_json(a[k], b[k], f"{where}.{k}", secret, now)
        return diffs
    if isinstance(a, list):
        if len(a) != len(b):
            return [f"{where}: length py={len(a)} rs={len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b))
                for d in compare_json(x, y, f"{where}[{i}]", secret, now)]
    if isinstance(a, str) and (parse_jwt(a) or parse_jwt(b)):
        if not (parse_jwt(a) and parse_jwt(b)):
            return [f"{where}: py={shorten(a, 60)!r} rs={shorten(b, 60)!r} (only one is a JWT)"]
        return compare_jwt(a, b, where, secret, now)
    if a != b:
        return [f"{where}: py={a!r} rs={b!r}"]
    return []


def allow_set(resp: Response):
    v = resp.first("Allow")
    return None if v is None else {m.strip().upper() for m in v.split(",") if m.strip()}


def compare_responses(req: Request, py: Response, rs: Response, secret) -> list:
    now = time.time()
    if py.error or rs.error:
        return [f"no response: py={py.error or py.status} rs={rs.error or rs.status}"]
    diffs = []
    if py.status != rs.status:
        diffs.append(f"status py={py.status} rs={rs.status}")
    if py.is_json != rs.is_json and py.is_json:
        diffs.append(f"Content-Type py={py.first('Content-Type')!r} rs={rs.first('Content-Type')!r}")
    elif py.is_json and req.method != "HEAD":
        try:
            pj, rj = py.json(), rs.json()
        except ValueError as exc:
            diffs.append(f"JSON body does not parse: {exc}; py={py.body[:80]!r} rs={rs.body[:80]!r}")
        else:
            diffs += compare_json(pj, rj, "body", secret, now)
    pa, ra = allow_set(py), allow_set(rs)
    if pa is not None and pa != ra:
        diffs.append(f"Allow py={py.first('Allow')!r} rs={rs.first('Allow')!r}")
    for name in ("WWW-Authenticate", "Location"):
        if bool(py.all(name)) != bool(rs.all(name)):
            diffs.append(f"header {name}: py={py.all(name)} rs={rs.all(name)}")
    diffs += compare_cookies(py, rs, secret, now)
    return diffs


# --------------------------------------------------------------------------
# Scenario runner
# --------------------------------------------------------------------------

@dataclass
class StepResult:
    label: str
    request: Request
    py: Response | None
    rs: Response | None
    failures: list = field(default_factory=list)
    notes: list = field(default_factory=list)


_UNSET = object()


class Ctx:
    """Plays steps against both servers and keeps per-side tokens and cookies."""

    def __init__(self, servers: dict, secret, forge: Forge, opts):
        self.servers, self.secret, self.forge, self.opts = servers, secret, forge, opts
        self.tokens = {s: {} for s in SIDES}
        self.jars = {s: {} for s in SIDES}
        self.results: list[StepResult] = []
        self._missing: list[str] = []

    # -- values captured from earlier steps ---------------------------------
    def tok(self, side: str, name: str) -> str:
        value = self.tokens[side].get(name)
        if value is None:
            self._missing.append(f"token {name!r} from {side}")
            return "MISSING.TOKEN.X"
        return value

    def jar(self, side: str, *names) -> dict:
        jar = self.jars[side]
        out = {}
        for n in names:
            if n in jar:
                out[n] = jar[n]
            else:
                self._missing.append(f"cookie {n!r} from {side}")
        return out

    # -- one step -------------------------------------------------------------
    def step(self, label, method, path, *, headers=(), body=None, json_body=_UNSET,
             content_type=None, cookies=None, expect=None, capture=None,
             keep_cookies=False, quirk=None, port_expect=None, diverge=None,
             max_seconds=None):
        """Send one request to both servers and compare.

        expect       status (or (status, json)) the *reference* must give; guards the
                     scenario against wrong assumptions.
        capture      {name: json key}: remember tokens from each side's body.
        keep_cookies store each side's Set-Cookie values in its cookie jar.
        quirk        reason text: a difference here is a warning unless --strict.
        port_expect  status (or (status, json)) the port must give where the
                     reference crashes with 500 (contract section 10), or where the
                     step is a documented divergence; a list means any of them.
        diverge      reason text: a documented divergence.  The reference must give
                     `expect`, the port `port_expect`; with --self-check (the
                     reference on both sides) the two are compared as usual.
        max_seconds  each side must answer within this time.
        """
        hdrs = list(headers)
        if json_body is not _UNSET:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if isinstance(body, str):
            body = body.encode()
        if content_type is not None:
            hdrs.append(("Content-Type", content_type))
        if cookies:
            hdrs.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items())))
        req = Request(method, path, hdrs, body)
        res = StepResult(label, req, None, None)
        self.results.append(res)
        if self._missing:
            res.failures.append("not sent: missing " + ", ".join(self._missing))
            self._missing = []
            return res
        res.py = send(self.servers["py"].port, req)
        res.rs = send(self.servers["rs"].port, req)
        self._judge(res, expect, quirk, port_expect, diverge)
        for side, resp in (("py", res.py), ("rs", res.rs)):
            if max_seconds is not None and resp.elapsed > max_seconds:
                res.failures.append(f"{side} answered after {resp.elapsed:.1f}s "
                                    f"(limit {max_seconds}s)")
        for side in SIDES:
            resp = res.py if side == "py" else res.rs
            if capture:
                try:
                    data = resp.json() if resp.is_json and resp.status < 300 else {}
                except ValueError:
                    data = {}
                for name, key in capture.items():
                    if isinstance(data, dict) and isinstance(data.get(key), str):
                        self.tokens[side][name] = data[key]
                    else:
                        self.tokens[side].pop(name, None)
            if keep_cookies:
                update_jar(self.jars[side], resp)
        return res

    def _judge(self, res: StepResult, expect, quirk, port_expect, diverge=None):
        py, rs = res.py, res.rs
        if expect is not None and not py.error:
            problem = mismatch_expectation(py, expect)
            if problem:
                res.failures.append(f"reference itself differs from the scenario's expectation: {problem}")
        if rs.status == 500 and self.opts.fail_on_500:
            res.failures.append("rs answered 500 (--fail-on-500)")
        if diverge and py.status != 500 and not self.opts.self_check:
            problem = (f"rs gave no response: {rs.error}" if rs.error
                       else mismatch_expectation(rs, port_expect))
            if problem:
                res.failures.append(f"divergence ({diverge}): rs misses the contract's "
                                    f"answer: {problem}")
            else:
                res.notes.append(f"divergence ({diverge}): py {py.status}, "
                                 f"rs {rs.summary()} as the contract says")
            return
        if py.status == 500:
            if rs.status == 500 and diverge and not self.opts.self_check:
                res.failures.append(f"divergence ({diverge}): rs answered 500 too, the "
                                    f"contract says {port_expect!r}")
            elif rs.status == 500:
                res.notes.append("reference 500 reproduced (contract: the port should not 500)")
            elif port_expect is not None:
                problem = mismatch_expectation(rs, port_expect)
                if problem:
                    res.failures.append(f"reference 500; rs misses the contract's answer: {problem}")
                else:
                    res.notes.append(f"reference 500; rs gives the contract's answer {rs.status}")
            elif rs.error:
                res.failures.append(f"reference 500; rs gave no response: {rs.error}")
            else:
                res.notes.append(f"reference 500; rs answered {rs.summary()}")
            return
        diffs = compare_responses(res.request, py, rs, self.secret)
        if diffs and quirk and not self.opts.strict:
            res.notes += [f"quirk ({quirk}): {d}" for d in diffs]
        else:
            res.failures += diffs


ANY_JSON = object()  # in an expectation: any JSON body (with a JSON content type)


def mismatch_expectation(resp: Response, expect):
    """None if resp is what expect says: a status, (status, json), or a list of those."""
    if isinstance(expect, list):
        problems = [mismatch_expectation(resp, e) for e in expect]
        return None if None in problems else " / ".join(problems)
    status, body = (expect if isinstance(expect, tuple) else (expect, _UNSET))
    if resp.status != status:
        return f"status {resp.status}, expected {status} ({resp.summary()})"
    if body is not _UNSET:
        try:
            got = resp.json()
        except ValueError:
            return f"body is not JSON, expected {'JSON' if body is ANY_JSON else repr(body)}"
        if body is ANY_JSON:
            return None if resp.is_json else f"Content-Type {resp.first('Content-Type')!r} is not JSON"
        if got != body:
            return f"body {got!r}, expected {body!r}"
    return None


# --------------------------------------------------------------------------
# Scenario building blocks
# --------------------------------------------------------------------------

ALL_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "TRACE")


def msg(text):
    return {"msg": text}


MISSING_HEADER = msg("Missing Authorization Header")
MISSING_BEARER = msg("Missing 'Bearer' type in 'Authorization' header. "
                     "Expected 'Authorization: Bearer <JWT>'")
BAD_HEADER = msg("Bad Authorization header. Expected 'Authorization: Bearer <JWT>'")
BAD_SIG = msg("Signature verification failed")
EXPIRED = msg("Token has expired")


def bearer(tok):
    return [("Authorization", f"Bearer {tok}")]


def check_routes(ctx: Ctx, routes: dict) -> None:
    """OPTIONS, 405 for every other method, and 404 for near-miss paths."""
    for path, methods in routes.items():
        allowed = set(methods) | ({"HEAD"} if "GET" in methods else set())
        ctx.step(f"routing: OPTIONS {path}", "OPTIONS", path, expect=200)
        for m in ALL_METHODS:
            if m not in allowed:
                ctx.step(f"routing: {m} {path} -> 405", m, path, expect=405)
        ctx.step(f"routing: GET {path}/ (trailing slash) -> 404", "GET", path + "/", expect=404)
        ctx.step(f"routing: POST {path.upper()} (case) -> 404", "POST", path.upper(), expect=404)
        ctx.step(f"routing: GET {path}/extra -> 404", "GET", path + "/extra", expect=404)
    ctx.step("routing: GET / -> 404", "GET", "/", expect=404)
    ctx.step("routing: GET /nope -> 404", "GET", "/nope", expect=404)
    ctx.step("routing: POST /nope -> 404", "POST", "/nope", expect=404)
    ctx.step("routing: OPTIONS /nope -> 404", "OPTIONS", "/nope", expect=404)


def check_json_login(ctx: Ctx, path: str, good: dict, bad_reply, ok_capture: dict,
                     *, user_key="username", pass_key="password"):
    """Everything a JSON-reading login route can be sent."""
    user, pwd = good[user_key], good[pass_key]
    cap = ok_capture
    ctx.step("login: good credentials", "POST", path, json_body=good, expect=200, capture=cap)
    ctx.step("login: charset parameter", "POST", path, json_body=good,
             content_type="application/json; charset=utf-8", expect=200)
    ctx.step("login: application/vnd.api+json", "POST", path, json_body=good,
             content_type="application/vnd.api+json", expect=200)
    ctx.step("login: extra keys ignored", "POST", path,
             json_body={**good, "remember": True, "x": [1, {"y": None}]}, expect=200)
    ctx.step("login: Authorization header on login is ignored", "POST", path, json_body=good,
             headers=[("Authorization", "Bearer foobarbaz")], expect=200)
    ctx.step("login: wrong password", "POST", path,
             json_body={user_key: user, pass_key: pwd + "x"}, expect=(401, bad_reply))
    ctx.step("login: wrong username", "POST", path,
             json_body={user_key: user + "x", pass_key: pwd}, expect=(401, bad_reply))
    ctx.step("login: username in other case", "POST", path,
             json_body={user_key: user.upper(), pass_key: pwd}, expect=(401, bad_reply))
    ctx.step("login: empty object", "POST", path, json_body={}, expect=(401, bad_reply))
    ctx.step("login: username only", "POST", path, json_body={user_key: user})
    ctx.step("login: password only", "POST", path, json_body={pass_key: pwd}, expect=(401, bad_reply))
    ctx.step("login: null username", "POST", path,
             json_body={user_key: None, pass_key: pwd}, expect=(401, bad_reply))
    ctx.step("login: numeric username", "POST", path,
             json_body={user_key: 5, pass_key: pwd}, expect=(401, bad_reply))
    ctx.step("login: list username", "POST", path, json_body={user_key: [user], pass_key: pwd})
    ctx.step("login: numeric password", "POST", path, json_body={user_key: user, pass_key: 5})
    ctx.step("login: no body, no content type", "POST", path, expect=415)
    ctx.step("login: JSON sent as text/plain", "POST", path, body=json.dumps(good),
             content_type="text/plain", expect=415)
    ctx.step("login: form-encoded credentials", "POST", path,
             body=urllib.parse.urlencode(good), content_type="application/x-www-form-urlencoded",
             expect=415)
    ctx.step("login: empty body with JSON content type", "POST", path, body=b"",
             content_type="application/json", expect=400)
    ctx.step("login: invalid JSON", "POST", path, body=b'{"username": "te',
             content_type="application/json", expect=400)
    ctx.step("login: JSON followed by garbage", "POST", path, body=json.dumps(good) + " x",
             content_type="application/json", expect=400)
    ctx.step("login: invalid UTF-8", "POST", path, body=b'{"username": "\xff\xfe"}',
             content_type="application/json", expect=400)
    ctx.step("login: JSON null body", "POST", path, body=b"null",
             content_type="application/json", expect=500)
    ctx.step("login: JSON array body", "POST", path, json_body=[good], expect=500)
    ctx.step("login: JSON string body", "POST", path, json_body="test", expect=500)
    ctx.step("login: JSON number body", "POST", path, json_body=5, expect=500)
    ctx.step("login: UTF-8 BOM before the JSON", "POST", path,
             body=b"\xef\xbb\xbf" + json.dumps(good).encode(), content_type="application/json",
             expect=200, quirk="Python's json accepts a UTF-8 BOM on bytes input")
    ctx.step("login: NaN in an ignored field", "POST", path,
             body=json.dumps(good)[:-1] + ', "n": NaN}', content_type="application/json",
             expect=200, quirk="Python's json accepts NaN/Infinity")
    ctx.step("login: duplicate username key, last wins", "POST", path,
             body=f'{{"{user_key}": "nobody", ' + json.dumps(good)[1:],
             content_type="application/json", expect=200,
             quirk="Python's json keeps the last duplicate key")
    ctx.step("login: GET with a JSON body -> 405", "GET", path, json_body=good, expect=405)


def check_body_ignoring_login(ctx: Ctx, path: str, capture: dict, keep_cookies=False):
    """A login route that never reads the request body."""
    ctx.step(f"login: POST {path}", "POST", path, expect=200, capture=capture,
             keep_cookies=keep_cookies)
    ctx.step(f"login: POST {path} with invalid JSON (body is never read)", "POST", path,
             body=b"{nope", content_type="application/json", expect=200)
    ctx.step(f"login: POST {path} with a text/plain body", "POST", path,
             body=b"hello", content_type="text/plain", expect=200)
    ctx.step(f"login: POST {path} with a JSON array", "POST", path, json_body=[1], expect=200)
    ctx.step(f"login: POST {path} with a garbage Authorization header", "POST", path,
             headers=[("Authorization", "Bearer garbage")], expect=200)


def status_of(expect):
    return expect[0] if isinstance(expect, tuple) else expect


def single_location_missing(text):
    return (401, msg(text))


def check_header_tokens(ctx: Ctx, method: str, path: str, ok, *, token="access",
                        refresh_route=False, fresh_route=False, optional=False,
                        missing=single_location_missing, other_locations=False,
                        expired=EXPIRED, overrides=None):
    """The hostile battery for a route that reads the Authorization header.

    ok        the reference's answer to a good token: (status, json), a status, or None
              (compare the two servers only).
    token     name of a captured token, or a callable side -> token (e.g. a fresh
              forged token per step, for routes that consume it such as /logout).
    missing   maps the header location's "missing" message to the expected reply
              (routes reading several locations combine the messages).
    other_locations  the route also reads cookies and the query string.
    expired   body of the expired-token reply.
    overrides {step label suffix: expected reply} where the example answers differently.
    """
    f = ctx.forge
    p = f"{method} {path}"
    kind = "refresh" if refresh_route else "access"
    good = {"type": kind, "fresh": True}
    wrong_type = msg("Only refresh tokens are allowed") if refresh_route \
        else msg("Only non-refresh tokens are allowed")

    def tk(side="py"):
        return token(side) if callable(token) else ctx.tok(side, token)

    def absent(text):
        return 200 if optional else missing(text)

    def hdr(label, value, expect=None, **kw):
        expect = (overrides or {}).get(label, expect)
        ctx.step(f"{p}: Authorization {label}", method, path,
                 headers=[("Authorization", value)], expect=expect, **kw)

    # Tokens the servers issued, sent to both servers (cross-acceptance).
    for side in SIDES:
        ctx.step(f"{p}: valid {side} token", method, path, headers=bearer(tk(side)), expect=ok)
        ctx.step(f"{p}: {side} token, signature tampered", method, path,
                 headers=bearer(tamper_signature(tk(side))), expect=(422, BAD_SIG))
        ctx.step(f"{p}: {side} token, payload tampered (sub)", method, path,
                 headers=bearer(tamper_payload(tk(side), sub="mallory")), expect=(422, BAD_SIG))
        ctx.step(f"{p}: {side} token, signature stripped", method, path,
                 headers=bearer(tk(side).rsplit(".", 1)[0] + "."), expect=(422, BAD_SIG))
        hdr(f"'Basic x, Bearer <{side} token>'", f"Basic x, Bearer {tk(side)}", expect=ok)
    if method == "GET":
        ctx.step(f"HEAD {path}: valid token", "HEAD", path, headers=bearer(tk()),
                 expect=status_of(ok))
        ctx.step(f"HEAD {path}: no token", "HEAD", path,
                 expect=status_of(absent("Missing Authorization Header")))
    ctx.step(f"OPTIONS {path}: no token needed", "OPTIONS", path, expect=200)

    # Where the token is (not).
    no_header = absent("Missing Authorization Header")
    no_bearer = absent("Missing 'Bearer' type in 'Authorization' header. "
                       "Expected 'Authorization: Bearer <JWT>'")
    ctx.step(f"{p}: no Authorization header", method, path, expect=no_header)
    ctx.step(f"{p}: token in the query string only", method, f"{path}?jwt={tk()}",
             expect=ok if other_locations else no_header)
    if method == "GET":  # a cookie on POST would need a CSRF header
        ctx.step(f"{p}: token in a cookie only", method, path,
                 cookies={"access_token_cookie": tk()},
                 expect=ok if other_locations else no_header)
    hdr("empty", "", expect=no_header)
    hdr("',' only", ",", expect=no_header)
    hdr("'Basic x'", "Basic x", expect=no_bearer)
    hdr("'Token <tok>'", f"Token {tk()}", expect=no_bearer)
    hdr("lowercase 'bearer <tok>'", f"bearer {tk()}", expect=no_bearer)
    hdr("two Bearer fields", f"Bearer {tk()}, Bearer {tk()}", expect=no_bearer)
    hdr("'Bearer' alone", "Bearer", expect=(422, BAD_HEADER))
    hdr("'Bearer a b'", "Bearer a b", expect=(422, BAD_HEADER))
    hdr("'Bearer <tok> extra'", f"Bearer {tk()} extra", expect=(422, BAD_HEADER))
    hdr("'Foo 1, Bearer, Baz, 3'", "Foo 1, Bearer, Baz, 3", expect=(422, BAD_HEADER))
    hdr("'Bearer <tok>, Basic x'", f"Bearer {tk()}, Basic x", expect=ok)
    hdr("'Bearer <tok>,Basic x' (no space)", f"Bearer {tk()},Basic x", expect=ok)
    hdr("'Bearer <tok>,' (trailing comma)", f"Bearer {tk()},", expect=ok)
    hdr("two spaces after Bearer", f"Bearer  {tk()}", expect=ok)
    hdr("tab after Bearer", f"Bearer\t{tk()}", expect=ok)
    hdr("'Bearer ,,0' (empty list field)", "Bearer ,,0", expect=500,
        port_expect=(422, BAD_HEADER))
    hdr("'Basic x,, Bearer <tok>' (empty list field)", f"Basic x,, Bearer {tk()}", expect=500,
        port_expect=status_of(ok))
    ctx.step(f"{p}: header name in lowercase", method, path,
             headers=[("authorization", f"Bearer {tk()}")], expect=ok)
    ctx.step(f"{p}: two Authorization headers (Basic, Bearer)", method, path,
             headers=[("Authorization", "Basic x"), ("Authorization", f"Bearer {tk()}")],
             expect=ok, quirk="the reference sees both headers joined by ','")

    # Malformed tokens.
    for label, bad, reply in [
        ("foobarbaz", "foobarbaz", msg("Not enough segments")),
        ("a.b (two segments)", "a.b", msg("Not enough segments")),
        ("aaaaa.bbbbb.ccccc", "aaaaa.bbbbb.ccccc", msg("Invalid header padding")),
        ("a.b.c.d (four segments)", "a.b.c.d", msg("Invalid header padding")),
        ("'..'", "..", msg("Invalid header string: Expecting value: line 1 column 1 (char 0)")),
        ("header is a JSON array", f.raw([1], f.claims(**good)),
         msg("Invalid header string: must be a json object")),
        ("payload is a JSON array", f.raw({"alg": "HS256", "typ": "JWT"}, [1]),
         msg("Invalid payload string: must be a json object")),
        ("payload not JSON", f.raw({"alg": "HS256", "typ": "JWT"}, b"hello"),
         msg("Invalid payload string: Expecting value: line 1 column 1 (char 0)")),
        ("payload segment bad base64", f.raw({"alg": "HS256"}, "a", sig="abcd"),
         msg("Invalid payload padding")),
        ("signature segment bad base64", f.raw({"alg": "HS256"}, f.claims(**good), sig="a"),
         msg("Invalid crypto padding")),
        ("header without alg", f.raw({"typ": "JWT"}, f.claims(**good)),
         msg("Algorithm not specified")),
        ("alg none, no signature",
         f.raw({"alg": "none", "typ": "JWT"}, f.claims(**good), sign=False),
         msg("The specified alg value is not allowed")),
        ("HS512 with the right secret", f.token(alg="HS512", **good),
         msg("The specified alg value is not allowed")),
        ("kid is a number", f.raw({"alg": "HS256", "typ": "JWT", "kid": 1}, f.claims(**good)),
         msg("Key ID header parameter must be a string")),
        ("signed with another secret", f.token(key="not-the-secret-" * 3, **good),
         BAD_SIG),
    ]:
        hdr(f"malformed: {label}", f"Bearer {bad}", expect=(422, reply))

    # Claims.
    expired_reply = (401, expired)
    for label, tok, expect in [
        ("expired 1h ago", f.token(age=7200, lifetime=3600, **good), expired_reply),
        ("expired 1s ago", f.token(age=11, lifetime=10, **good), expired_reply),
        ("wrong type", f.token(**{**good, "type": "access" if refresh_route else "refresh"}),
         (422, wrong_type)),
        ("no sub claim", f.token(drop=("sub",), **good), (422, msg("Missing claim: sub"))),
        ("sub is a number", f.token(sub=7, **good), (422, msg("Subject must be a string"))),
        ("sub is null", f.token(sub=None, **good), (422, msg("Subject must be a string"))),
        ("jti is a number", f.token(jti=7, **good), (422, msg("JWT ID must be a string"))),
        ("iat in the future", f.token(age=-3600, **good),
         (422, msg("The token is not yet valid (iat)"))),
        ("nbf in the future", f.token(nbf=int(time.time()) + 3600, **good),
         (422, msg("The token is not yet valid (nbf)"))),
        ("exp not a number", f.token(exp="soon", **good),
         (422, msg("Expiration Time claim (exp) must be an integer."))),
        ("iat not a number", f.token(iat="now", **good),
         (422, msg("Issued At claim (iat) must be an integer."))),
        ("nbf not a number", f.token(nbf="now", **good),
         (422, msg("Not Before claim (nbf) must be an integer."))),
        ("expired and sub a number", f.token(age=7200, lifetime=3600, sub=7, **good),
         (422, msg("Subject must be a string"))),
        ("expired and no sub", f.token(age=7200, lifetime=3600, drop=("sub",), **good),
         (422, msg("Missing claim: sub"))),
        ("no type claim (defaults to access)", f.token(drop=("type",), **good),
         (422, wrong_type) if refresh_route else ok),
        ("unknown type 'foo'", f.token(**{**good, "type": "foo"}),
         (422, wrong_type) if refresh_route else ok),
        ("no exp (never expires)", f.token(drop=("exp",), **good), ok),
        ("no jti", f.token(drop=("jti",), **good), ok),
        ("no csrf", f.token(drop=("csrf",), **good), ok),
        ("no nbf, no iat", f.token(drop=("nbf", "iat"), **good), ok),
        ("aud present (audience not checked)", f.token(aud="someone-else", **good), ok),
        ("iss present (issuer not checked)", f.token(iss="someone", **good), ok),
        ("extra unknown claims", f.token(roles=["a"], n=1, **good), ok),
        ("no typ in the header", f.token(headers={"typ": None}, **good), ok),
    ]:
        hdr(f"claims: {label}", f"Bearer {tok}", expect=expect)
    if not fresh_route:
        hdr("claims: no fresh claim", f"Bearer {f.token(drop=('fresh',), type=kind)}", expect=ok)

    # Decoder strictness (PyJWT 2.15.1, contract section 14).
    hdr("base64: '=' padding on the signature (accepted)", f"Bearer {tk()}=", expect=ok)
    hdr("base64: '==' over-padded signature", f"Bearer {tk()}==",
        expect=(422, msg("Invalid crypto padding")))
    hdr("base64: junk characters appended to the signature", f"Bearer {tk()}!!!!",
        expect=(422, msg("Invalid crypto padding")))
    h, rest = tk().split(".", 1)
    hdr("base64: '+' instead of '-' style char in the header", f"Bearer {h[:-1]}+.{rest}",
        expect=(422, msg("Invalid header padding")))
    hdr("base64: signature with a non-canonical last char",
        f"Bearer {noncanonical_signature(tk())}", expect=(422, msg("Invalid crypto padding")),
        quirk="contract allows 'Signature verification failed' here too")
    # Numeric leniency of the reference: differences are reported as quirks.
    hdr("lenient: exp as a numeric string",
        f"Bearer {f.token(exp=str(int(time.time()) + 900), **good)}",
        expect=ok, quirk="PyJWT converts exp with int()")
    hdr("lenient: exp as a float", f"Bearer {f.token(exp=time.time() + 900.5, **good)}",
        expect=ok, quirk="PyJWT truncates a float exp")


# --------------------------------------------------------------------------
# Scenarios, one per example
# --------------------------------------------------------------------------

def sc_credentials_login(user, pwd):
    """simple / quickstart: JSON login, then GET /protected -> logged_in_as."""

    def scenario(ctx: Ctx):
        ctx.forge.identity = user
        check_routes(ctx, {"/login": ["POST"], "/protected": ["GET"]})
        check_json_login(ctx, "/login", {"username": user, "password": pwd},
                         msg("Bad username or password"), {"access": "access_token"})
        check_header_tokens(ctx, "GET", "/protected", (200, {"logged_in_as": user}))
        for label, ident in [("unicode identity", "Zoë ✓"), ("empty identity", "")]:
            ctx.step(f"GET /protected: {label}", "GET", "/protected",
                     headers=bearer(ctx.forge.token(sub=ident)),
                     expect=(200, {"logged_in_as": ident}))
    return scenario


def sc_refresh_tokens(ctx: Ctx):
    ctx.forge.lifetime = 3600
    check_routes(ctx, {"/login": ["POST"], "/refresh": ["POST"], "/protected": ["GET"]})
    check_body_ignoring_login(ctx, "/login", {"access": "access_token", "refresh": "refresh_token"})
    check_header_tokens(ctx, "GET", "/protected", (200, {"foo": "bar"}))
    check_header_tokens(ctx, "POST", "/refresh", 200, token="refresh", refresh_route=True)
    for side in SIDES:
        ctx.step(f"POST /refresh with the {side} refresh token", "POST", "/refresh",
                 headers=bearer(ctx.tok(side, "refresh")), expect=200,
                 capture={"refreshed": "access_token"})
        ctx.step(f"GET /protected with the refreshed access token from {side}", "GET",
                 "/protected", headers=bearer(ctx.tok(side, "refreshed")), expect=(200, {"foo": "bar"}))
        ctx.step(f"POST /refresh with the {side} access token", "POST", "/refresh",
                 headers=bearer(ctx.tok(side, "access")),
                 expect=(422, msg("Only refresh tokens are allowed")))
        ctx.step(f"GET /protected with the {side} refresh token", "GET", "/protected",
                 headers=bearer(ctx.tok(side, "refresh")),
                 expect=(422, msg("Only non-refresh tokens are allowed")))
    f = ctx.forge
    ctx.step("POST /refresh: refresh token 29 days old still valid", "POST", "/refresh",
             headers=bearer(f.token(type="refresh", age=29 * 86400, lifetime=30 * 86400)),
             expect=200)
    ctx.step("POST /refresh: refresh token past 30 days", "POST", "/refresh",
             headers=bearer(f.token(type="refresh", age=31 * 86400, lifetime=30 * 86400)),
             expect=(401, EXPIRED))
    ctx.step("POST /refresh: refresh token in a JSON body (headers only)", "POST", "/refresh",
             json_body={"refresh_token": ctx.tok("py", "refresh")}, expect=(401, MISSING_HEADER))


def sc_token_freshness(ctx: Ctx):
    ctx.forge.lifetime = 3600
    check_routes(ctx, {"/login": ["POST"], "/refresh": ["POST"], "/protected": ["GET"]})
    check_json_login(ctx, "/login", {"username": "test", "password": "test"},
                     msg("Bad username or password"),
                     {"access": "access_token", "refresh": "refresh_token"})
    check_header_tokens(ctx, "GET", "/protected", (200, {"foo": "bar"}), fresh_route=True)
    check_header_tokens(ctx, "POST", "/refresh", 200, token="refresh", refresh_route=True)
    need_fresh = (401, msg("Fresh token required"))
    for side in SIDES:
        ctx.step(f"POST /refresh with the {side} refresh token", "POST", "/refresh",
                 headers=bearer(ctx.tok(side, "refresh")), expect=200,
                 capture={"stale": "access_token"})
        ctx.step(f"GET /protected with the non-fresh token from {side}", "GET", "/protected",
                 headers=bearer(ctx.tok(side, "stale")), expect=need_fresh)
        ctx.step(f"GET /protected with the {side} refresh token", "GET", "/protected",
                 headers=bearer(ctx.tok(side, "refresh")),
                 expect=(422, msg("Only non-refresh tokens are allowed")))
    f, now = ctx.forge, time.time()
    for label, fresh, expect, quirk in [
        ("fresh=false", False, need_fresh, None),
        ("no fresh claim", _UNSET, need_fresh, None),
        ("fresh until a future time (float)", now + 600.25, 200, None),
        ("fresh until a past time (float)", now - 600.25, need_fresh, None),
        ("fresh until a future time (int)", int(now) + 600, 200, None),
        ("fresh = 1 (a 1970 timestamp, not true)", 1, need_fresh, "numbers are timestamps"),
        ("fresh = 'yes' (string)", "yes", 500, None),
        ("fresh = null", None, 500, None),
    ]:
        tok = f.token(drop=("fresh",)) if fresh is _UNSET else f.token(fresh=fresh)
        ctx.step(f"GET /protected: {label}", "GET", "/protected", headers=bearer(tok),
                 expect=expect, quirk=quirk)
    ctx.step("GET /protected: expired but fresh", "GET", "/protected",
             headers=bearer(f.token(fresh=True, age=7200, lifetime=3600)), expect=(401, EXPIRED))


def sc_optional(ctx: Ctx):
    anon = (200, {"logged_in_as": "anonymous user"})
    check_routes(ctx, {"/login": ["POST"], "/optionally_protected": ["GET"]})
    check_json_login(ctx, "/login", {"username": "test", "password": "test"},
                     msg("Bad username or password"), {"access": "access_token"})
    ctx.forge.identity = "test"
    check_header_tokens(ctx, "GET", "/optionally_protected", (200, {"logged_in_as": "test"}),
                        optional=True)
    f = ctx.forge
    for label, kw, expect in [
        ("no token -> anonymous", None, anon),
        ("empty identity -> anonymous", {"sub": ""}, anon),
        ("other identity", {"sub": "someone"}, (200, {"logged_in_as": "someone"})),
        ("expired token is still an error", {"age": 7200, "lifetime": 3600}, (401, EXPIRED)),
        ("refresh token is still an error", {"type": "refresh"},
         (422, msg("Only non-refresh tokens are allowed"))),
    ]:
        hdrs = [] if kw is None else bearer(f.token(**kw))
        ctx.step(f"GET /optionally_protected: {label}", "GET", "/optionally_protected",
                 headers=hdrs, expect=expect)


def sc_additional_data(ctx: Ctx):
    check_routes(ctx, {"/login": ["POST"], "/protected": ["GET"]})
    check_json_login(ctx, "/login", {"username": "test", "password": "test"},
                     msg("Bad username or password"), {"access": "access_token"})
    f = ctx.forge
    f.identity = "test"
    f.defaults = {"aud": "some_audience", "foo": "bar"}  # as /login adds them
    check_header_tokens(ctx, "GET", "/protected", (200, {"foo": "bar"}))
    f.defaults = {"aud": "some_audience"}
    for label, kw, expect in [
        ("foo is a number", {"foo": 42}, (200, {"foo": 42})),
        ("foo is an object", {"foo": {"a": [1, None]}}, (200, {"foo": {"a": [1, None]}})),
        ("foo is null", {"foo": None}, (200, {"foo": None})),
        ("no foo claim", {"drop": ("foo",)}, 500),
        ("other audience (not verified)", {"foo": "bar", "aud": "other"}, (200, {"foo": "bar"})),
    ]:
        ctx.step(f"GET /protected: {label}", "GET", "/protected", headers=bearer(f.token(**kw)),
                 expect=expect)


def sc_automatic_user_loading(ctx: Ctx):
    check_routes(ctx, {"/login": ["POST"], "/who_am_i": ["GET"]})
    wrong = "Wrong username or password"
    check_json_login(ctx, "/login", {"username": "panther", "password": "password"}, wrong,
                     {"access": "access_token"})
    ctx.step("login: known user, password missing (compare_digest(None))", "POST", "/login",
             json_body={"username": "batman"}, expect=500)
    ctx.step("login: known user, non-ASCII password", "POST", "/login",
             json_body={"username": "batman", "password": "pässword"}, expect=500)
    ctx.step("login: little_sapphire", "POST", "/login",
             json_body={"username": "little_sapphire", "password": "password"}, expect=200)
    int_sub = "the upstream example puts an integer id in 'sub'; PyJWT >= 2.10 rejects it"
    for side in SIDES:
        ctx.step(f"GET /who_am_i with the login token from {side}", "GET", "/who_am_i",
                 headers=bearer(ctx.tok(side, "access")),
                 expect=(422, msg("Subject must be a string")), quirk=int_sub)
    f = ctx.forge
    f.identity = "2"
    for label, sub, expect in [
        ("string id '1'", "1", (200, {"id": 1, "full_name": "Bruce Wayne", "username": "batman"})),
        ("string id '3'", "3",
         (200, {"id": 3, "full_name": "Jester Lavore", "username": "little_sapphire"})),
        ("unknown id '99'", "99", (401, msg("Error loading the user 99"))),
        ("non-numeric id 'batman'", "batman", (401, msg("Error loading the user batman"))),
        ("integer id 1", 1, (422, msg("Subject must be a string"))),
    ]:
        ctx.step(f"GET /who_am_i: {label}", "GET", "/who_am_i", headers=bearer(f.token(sub=sub)),
                 expect=expect)
    check_header_tokens(ctx, "GET", "/who_am_i",
                        (200, {"id": 2, "full_name": "Ann Takamaki", "username": "panther"}),
                        token=lambda side: f.token())


def sc_custom_decorators(ctx: Ctx):
    check_routes(ctx, {"/login": ["POST"], "/protected": ["GET"]})
    check_body_ignoring_login(ctx, "/login", {"access": "access_token"})
    f = ctx.forge
    f.identity = "admin_user"
    f.defaults = {"is_administrator": True}  # as /login adds it
    check_header_tokens(ctx, "GET", "/protected", (200, {"foo": "bar"}))
    f.defaults = {}
    admins_only = (403, msg("Admins only!"))
    for label, kw, expect, quirk in [
        ("is_administrator=false", {"is_administrator": False}, admins_only, None),
        ("is_administrator missing", {}, 500, None),
        ("is_administrator=null", {"is_administrator": None}, admins_only, None),
        ("is_administrator=0", {"is_administrator": 0}, admins_only, "Python truthiness"),
        ("is_administrator=1", {"is_administrator": 1}, 200, "Python truthiness"),
        ("is_administrator='false' (non-empty string)", {"is_administrator": "false"}, 200,
         "Python truthiness"),
        ("is_administrator=''", {"is_administrator": ""}, admins_only, "Python truthiness"),
        ("is_administrator=[]", {"is_administrator": []}, admins_only, "Python truthiness"),
        ("expired admin", {"is_administrator": True, "age": 7200, "lifetime": 3600},
         (401, EXPIRED), None),
    ]:
        ctx.step(f"GET /protected: {label}", "GET", "/protected", headers=bearer(f.token(**kw)),
                 expect=expect, quirk=quirk)


def sc_loaders(ctx: Ctx):
    check_routes(ctx, {"/login": ["POST"], "/protected": ["GET"]})
    check_body_ignoring_login(ctx, "/login", {"access": "access_token"})
    dave = (401, {"code": "dave", "err": "I can't let you do that"})
    check_header_tokens(ctx, "GET", "/protected", (200, {"hello": "world"}), expired=dave[1])
    ctx.step("GET /protected: expired refresh token (expiry wins over type)", "GET",
             "/protected", headers=bearer(ctx.forge.token(type="refresh", age=7200, lifetime=3600)),
             expect=dave)


def sc_blocklist(revoked_msg):
    def scenario(ctx: Ctx):
        ctx.forge.lifetime = 3600
        check_routes(ctx, {"/login": ["POST"], "/logout": ["DELETE"], "/protected": ["GET"]})
        check_body_ignoring_login(ctx, "/login", {"access": "access_token"})
        for name in ("second", "victim"):
            ctx.step(f"login: another token ({name})", "POST", "/login", expect=200,
                     capture={name: "access_token"})
        # Without a jti, redis-py refuses the lookup (500); SQL finds nothing (200)
        # but cannot store a NULL jti on logout (500).
        no_jti = {"claims: no jti": 500 if revoked_msg == "Access token revoked" else 200}
        check_header_tokens(ctx, "GET", "/protected", (200, {"hello": "world"}), overrides=no_jti)
        # Every accepted token is revoked by /logout, so each step gets a new one.
        check_header_tokens(ctx, "DELETE", "/logout", (200, msg(revoked_msg)),
                            token=lambda side: ctx.forge.token(),
                            overrides={"claims: no jti": 500})
        revoked = (401, msg("Token has been revoked"))
        for side in SIDES:
            tok = ctx.tok(side, "victim")
            ctx.step(f"{side} token: GET /protected before logout", "GET", "/protected",
                     headers=bearer(tok), expect=200)
            ctx.step(f"{side} token: DELETE /logout", "DELETE", "/logout", headers=bearer(tok),
                     expect=(200, msg(revoked_msg)))
            ctx.step(f"{side} token: GET /protected after logout", "GET", "/protected",
                     headers=bearer(tok), expect=revoked)
            ctx.step(f"{side} token: DELETE /logout again", "DELETE", "/logout",
                     headers=bearer(tok), expect=revoked)
            ctx.step(f"{side} token: other token of the same user still works", "GET",
                     "/protected", headers=bearer(ctx.tok(side, "second")), expect=200)
        f = ctx.forge
        jti = str(uuid.uuid4())
        ctx.step("forged token: DELETE /logout", "DELETE", "/logout",
                 headers=bearer(f.token(jti=jti)), expect=200)
        ctx.step("another token with the same jti is revoked too", "GET", "/protected",
                 headers=bearer(f.token(jti=jti)), expect=revoked)
        ctx.step("revoked and expired: expiry is reported", "GET", "/protected",
                 headers=bearer(f.token(jti=jti, age=7200, lifetime=3600)), expect=(401, EXPIRED))
        ctx.step("revoked jti on a refresh token: type error first", "GET", "/protected",
                 headers=bearer(f.token(jti=jti, type="refresh")),
                 expect=(422, msg("Only non-refresh tokens are allowed")))
        ctx.step("token without jti: GET /protected", "GET", "/protected",
                 headers=bearer(f.token(drop=("jti",))))
        ctx.step("token without jti: DELETE /logout", "DELETE", "/logout",
                 headers=bearer(f.token(drop=("jti",))), expect=500)
        if revoked_msg == "JWT revoked":  # Redis would remember "" across runs
            ctx.step("token with an empty jti: DELETE /logout", "DELETE", "/logout",
                     headers=bearer(f.token(jti="")), expect=200)
            ctx.step("token with an empty jti: revoked afterwards", "GET", "/protected",
                     headers=bearer(f.token(jti="")), expect=revoked)
        ctx.logged_out_jtis = [parse_jwt(t)[1].get("jti") for t in
                               (ctx.tokens[s].get("victim") for s in SIDES) if parse_jwt(t)]
    return scenario


def sc_jwt_locations(ctx: Ctx):
    check_routes(ctx, {"/login_without_cookies": ["POST"], "/login_with_cookies": ["POST"],
                       "/logout_with_cookies": ["POST"], "/protected": ["GET", "POST"],
                       "/only_headers": ["GET"]})
    check_body_ignoring_login(ctx, "/login_without_cookies", {"access": "access_token"})
    ctx.step("POST /login_with_cookies", "POST", "/login_with_cookies",
             expect=(200, msg("login successful")), keep_cookies=True)
    ctx.step("POST /logout_with_cookies (unsets 4 cookies)", "POST", "/logout_with_cookies",
             expect=(200, msg("logout successful")))
    ctx.step("POST /logout_with_cookies carrying cookies", "POST", "/logout_with_cookies",
             cookies=ctx.jar("py", "access_token_cookie", "csrf_access_token"),
             expect=(200, msg("logout successful")))
    ctx.step("POST /login_with_cookies again (fresh jar)", "POST", "/login_with_cookies",
             expect=200, keep_cookies=True)

    ok = (200, {"foo": "bar"})
    missing_all = (401, msg(
        "Missing JWT in headers, cookies, json or query_string (Missing Authorization Header; "
        "Missing cookie \"access_token_cookie\"; Invalid content-type. Must be application/json.; "
        "Missing 'jwt' query paramater)"))
    ctx.step("GET /protected: no token anywhere", "GET", "/protected", expect=missing_all)
    ctx.step("POST /protected: no token anywhere", "POST", "/protected", expect=missing_all)

    def combined(header_text):
        return (401, msg(
            f"Missing JWT in headers, cookies, json or query_string ({header_text}; "
            "Missing cookie \"access_token_cookie\"; Invalid content-type. Must be "
            "application/json.; Missing 'jwt' query paramater)"))
    check_header_tokens(ctx, "GET", "/protected", ok, missing=combined, other_locations=True)

    f = ctx.forge
    csrf_name, access_name = "csrf_access_token", "access_token_cookie"
    for side in SIDES:
        jar = ctx.jar(side, access_name, csrf_name)
        c = lambda: ctx.jar(side, access_name, csrf_name)  # noqa: E731
        csrf = jar.get(csrf_name, "missing")
        ctx.step(f"cookie ({side}): GET without CSRF header", "GET", "/protected",
                 cookies=c(), expect=ok)
        ctx.step(f"cookie ({side}): POST without CSRF header", "POST", "/protected",
                 cookies=c(), expect=(401, msg("Missing CSRF token")))
        ctx.step(f"cookie ({side}): POST with CSRF header", "POST", "/protected",
                 cookies=c(), headers=[("X-CSRF-TOKEN", csrf)], expect=ok)
        ctx.step(f"cookie ({side}): POST with lowercase CSRF header name", "POST", "/protected",
                 cookies=c(), headers=[("x-csrf-token", csrf)], expect=ok)
        ctx.step(f"cookie ({side}): POST with an empty CSRF header", "POST", "/protected",
                 cookies=c(), headers=[("X-CSRF-TOKEN", "")], expect=(401, msg("Missing CSRF token")))
        ctx.step(f"cookie ({side}): POST with a wrong CSRF value", "POST", "/protected",
                 cookies=c(), headers=[("X-CSRF-TOKEN", str(uuid.uuid4()))],
                 expect=(401, msg("CSRF double submit tokens do not match")))
        ctx.step(f"cookie ({side}): POST with the CSRF value in the form", "POST", "/protected",
                 cookies=c(), body=f"csrf_token={csrf}",
                 content_type="application/x-www-form-urlencoded",
                 expect=(401, msg("Missing CSRF token")))
        ctx.step(f"cookie ({side}): POST with the CSRF value in the query", "POST",
                 f"/protected?csrf_token={csrf}", cookies=c(), expect=(401, msg("Missing CSRF token")))
        ctx.step(f"cookie ({side}): only the CSRF cookie", "GET", "/protected",
                 cookies={csrf_name: csrf}, expect=missing_all)
        ctx.step(f"cookie ({side}): GET /only_headers with cookie only", "GET", "/only_headers",
                 cookies=c(), expect=(401, MISSING_HEADER))
        ctx.step(f"cookie ({side}): HEAD with cookie", "HEAD", "/protected", cookies=c(), expect=200)
    # Cookies of one side, CSRF value of the other.
    py_jar, rs_jar = ctx.jar("py", access_name, csrf_name), ctx.jar("rs", access_name, csrf_name)
    ctx.step("cookie: py cookie with rs CSRF value", "POST", "/protected",
             cookies={access_name: py_jar.get(access_name, "")},
             headers=[("X-CSRF-TOKEN", rs_jar.get(csrf_name, "x"))],
             expect=(401, msg("CSRF double submit tokens do not match")))
    ctx.step("cookie: rs cookie with py CSRF value", "POST", "/protected",
             cookies={access_name: rs_jar.get(access_name, "")},
             headers=[("X-CSRF-TOKEN", py_jar.get(csrf_name, "x"))],
             expect=(401, msg("CSRF double submit tokens do not match")))
    # Forged cookie tokens.
    csrf = str(uuid.uuid4())
    for label, tok, method, hdrs, expect in [
        ("garbage cookie, GET", "foobarbaz", "GET", [], (422, msg("Not enough segments"))),
        ("garbage cookie, POST without CSRF", "foobarbaz", "POST", [],
         (401, msg("Missing CSRF token"))),
        ("expired cookie, POST without CSRF", f.token(age=7200, lifetime=3600), "POST", [],
         (401, msg("Missing CSRF token"))),
        ("expired cookie, GET", f.token(age=7200, lifetime=3600), "GET", [], (401, EXPIRED)),
        ("token without csrf claim, POST with CSRF", f.token(drop=("csrf",)), "POST",
         [("X-CSRF-TOKEN", csrf)], (422, msg("Missing claim: csrf"))),
        ("token without csrf claim, GET", f.token(drop=("csrf",)), "GET", [], ok),
        ("forged csrf matches", f.token(csrf=csrf), "POST", [("X-CSRF-TOKEN", csrf)], ok),
        ("refresh token in the access cookie", f.token(type="refresh", csrf=csrf), "POST",
         [("X-CSRF-TOKEN", csrf)], (422, msg("Only non-refresh tokens are allowed"))),
        ("expired, CSRF mismatch: mismatch wins", f.token(age=7200, lifetime=3600), "POST",
         [("X-CSRF-TOKEN", csrf)], (401, msg("CSRF double submit tokens do not match"))),
    ]:
        ctx.step(f"cookie: {label}", method, "/protected", cookies={access_name: tok},
                 headers=hdrs, expect=expect)
    # JSON body.
    for side in SIDES:
        tok = ctx.tok(side, "access")
        ctx.step(f"json ({side}): POST body access_token", "POST", "/protected",
                 json_body={"access_token": tok}, expect=ok)
        ctx.step(f"json ({side}): GET with a JSON body", "GET", "/protected",
                 json_body={"access_token": tok}, expect=ok)
    tok = ctx.tok("py", "access")
    missing_json_key = (401, msg(
        "Missing JWT in headers, cookies, json or query_string (Missing Authorization Header; "
        "Missing cookie \"access_token_cookie\"; Missing \"access_token\" key in json data.; "
        "Missing 'jwt' query paramater)"))
    for label, kw, expect, extra in [
        ("refresh_token key instead", {"json_body": {"refresh_token": tok}}, missing_json_key, {}),
        ("empty token", {"json_body": {"access_token": ""}}, missing_json_key, {}),
        ("null token", {"json_body": {"access_token": None}}, missing_json_key, {}),
        ("JSON null body", {"body": b"null", "content_type": "application/json"},
         missing_json_key, {}),
        ("invalid JSON", {"body": b"{nope", "content_type": "application/json"},
         missing_json_key, {}),
        ("empty body, JSON content type", {"body": b"", "content_type": "application/json"},
         missing_json_key, {}),
        ("JSON array body", {"json_body": [tok]}, 500, {}),
        ("token is a number", {"json_body": {"access_token": 5}},
         (422, msg("Invalid token type. Token must be a <class 'bytes'>")),
         {"quirk": "contract allows 'missing' or a documented 422 for non-string tokens"}),
        ("token as text/plain", {"body": json.dumps({"access_token": tok}),
                                 "content_type": "text/plain"}, missing_all, {}),
        ("token as application/merge-patch+json", {"json_body": {"access_token": tok},
                                                   "content_type": "application/merge-patch+json"},
         ok, {}),
        ("garbage token", {"json_body": {"access_token": "foobarbaz"}},
         (422, msg("Not enough segments")), {}),
        ("expired token", {"json_body": {"access_token": f.token(age=7200, lifetime=3600)}},
         (401, EXPIRED), {}),
    ]:
        ctx.step(f"json: {label}", "POST", "/protected", expect=expect, **kw, **extra)
    # Query string.
    quoted = urllib.parse.quote(tok, safe="")
    pct_first = "%" + format(ord(tok[0]), "02X") + tok[1:]
    for side in SIDES:
        ctx.step(f"query ({side}): ?jwt=<token>", "GET", f"/protected?jwt={ctx.tok(side, 'access')}",
                 expect=ok)
    for label, qs, expect in [
        ("POST ?jwt=<token>", f"jwt={tok}", ok),
        ("empty ?jwt=", "jwt=", missing_all),
        ("?JWT= (case)", f"JWT={tok}", missing_all),
        ("percent-encoded first char", f"jwt={pct_first}", ok),
        ("fully quoted token", f"jwt={quoted}", ok),
        ("first of two values is used (good, bad)", f"jwt={tok}&jwt=foobarbaz", ok),
        ("first of two values is used (bad, good)", f"jwt=foobarbaz&jwt={tok}",
         (422, msg("Not enough segments"))),
        ("'Bearer ' prefix not expected", f"jwt=Bearer%20{tok}",
         (422, msg("Invalid header padding"))),
        ("garbage", "jwt=foobarbaz", (422, msg("Not enough segments"))),
    ]:
        method = "POST" if label.startswith("POST") else "GET"
        ctx.step(f"query: {label}", method, f"/protected?{qs}", expect=expect)
    # Location order and fall-through.
    py_cookie = ctx.jar("py", access_name)
    for label, kw, expect in [
        ("garbage header + valid cookie: header error wins",
         {"headers": [("Authorization", "Bearer foobarbaz")], "cookies": py_cookie},
         (422, msg("Not enough segments"))),
        ("'Basic x' header + valid cookie: falls through",
         {"headers": [("Authorization", "Basic x")], "cookies": py_cookie}, ok),
        ("'Bearer' header + valid query: header error wins",
         {"headers": [("Authorization", "Bearer")], "path": f"/protected?jwt={tok}"},
         (422, BAD_HEADER)),
        ("'Basic x' header + valid query", {"headers": [("Authorization", "Basic x")],
                                           "path": f"/protected?jwt={tok}"}, ok),
        ("valid header + cookie without CSRF on POST: header wins",
         {"headers": bearer(tok), "cookies": py_cookie, "method": "POST"}, ok),
        ("cookie without CSRF on POST + valid JSON: CSRF error wins",
         {"cookies": py_cookie, "method": "POST", "json_body": {"access_token": tok}},
         (401, msg("Missing CSRF token"))),
        ("garbage JSON token + valid query: JSON error wins",
         {"method": "POST", "json_body": {"access_token": "x"}, "path": f"/protected?jwt={tok}"},
         (422, msg("Not enough segments"))),
        ("expired cookie + valid query (GET): cookie error wins",
         {"cookies": {access_name: f.token(age=7200, lifetime=3600)},
          "path": f"/protected?jwt={tok}"}, (401, EXPIRED)),
    ]:
        method = kw.pop("method", "GET")
        path = kw.pop("path", "/protected")
        ctx.step(f"order: {label}", method, path, expect=expect, **kw)
    # /only_headers.
    only_ok = (200, {"foo": "baz"})
    for side in SIDES:
        ctx.step(f"GET /only_headers with the {side} header token", "GET", "/only_headers",
                 headers=bearer(ctx.tok(side, "access")), expect=only_ok)
    ctx.step("GET /only_headers: no token", "GET", "/only_headers", expect=(401, MISSING_HEADER))
    ctx.step("GET /only_headers: query token only", "GET", f"/only_headers?jwt={tok}",
             expect=(401, MISSING_HEADER))
    ctx.step("GET /only_headers: JSON token only", "GET", "/only_headers",
             json_body={"access_token": tok}, expect=(401, MISSING_HEADER))


def sc_implicit_refresh(ctx: Ctx):
    ctx.forge.lifetime = 3600
    check_routes(ctx, {"/login": ["POST"], "/logout": ["POST"], "/protected": ["GET"]})
    ok = (200, {"foo": "bar"})
    name, csrf_name = "access_token_cookie", "csrf_access_token"
    missing = (401, msg('Missing cookie "access_token_cookie"'))
    ctx.step("POST /login sets cookies", "POST", "/login",
             expect=(200, msg("login successful")), keep_cookies=True)
    ctx.step("POST /login with a JSON body (ignored)", "POST", "/login", json_body=[1], expect=200)
    ctx.step("POST /logout unsets 4 cookies", "POST", "/logout",
             expect=(200, msg("logout successful")))
    f = ctx.forge
    for side in SIDES:
        c = lambda: ctx.jar(side, name, csrf_name)  # noqa: E731
        ctx.step(f"{side} cookie: GET /protected (1h left: no renewal)", "GET", "/protected",
                 cookies=c(), expect=ok)
        ctx.step(f"{side} cookie: POST /logout with cookies", "POST", "/logout", cookies=c(),
                 expect=200)
        ctx.step(f"{side} cookie: Authorization header instead of cookie", "GET", "/protected",
                 headers=bearer(c().get(name, "")), expect=missing)
    for label, tok, expect in [
        ("10 min left: renewed", f.token(age=3000), ok),
        ("29 min left: renewed", f.token(age=60 * 31), ok),
        ("31 min left: not renewed", f.token(age=60 * 29), ok),
        ("renewal keeps the identity only", f.token(age=3000, sub="other", role="x"), ok),
        ("empty identity, renewed", f.token(age=3000, sub=""), ok),
        ("no exp: never renewed", f.token(drop=("exp",)), ok),
        ("expired", f.token(age=7200), (401, EXPIRED)),
        ("garbage", "foobarbaz", (422, msg("Not enough segments"))),
        ("refresh token", f.token(type="refresh", age=3000),
         (422, msg("Only non-refresh tokens are allowed"))),
        ("exp as a numeric string", f.token(exp=str(int(time.time()) + 600)), 500),
    ]:
        ctx.step(f"cookie: {label}", "GET", "/protected", cookies={name: tok}, expect=expect)
    near = f.token(age=3000)
    ctx.step("HEAD /protected with a near-expiry cookie: renewed", "HEAD", "/protected",
             cookies={name: near}, expect=200)
    ctx.step("OPTIONS /protected with a near-expiry cookie: not renewed", "OPTIONS",
             "/protected", cookies={name: near}, expect=200)
    ctx.step("POST /login with a near-expiry cookie: only the login cookies", "POST", "/login",
             cookies={name: near}, expect=200)
    ctx.step("POST /logout with a near-expiry cookie: only the unset cookies", "POST",
             "/logout", cookies={name: near}, expect=200)
    ctx.step("GET /protected: no cookie", "GET", "/protected", expect=missing)
    ctx.step("GET /protected: only the CSRF cookie", "GET", "/protected",
             cookies={csrf_name: str(uuid.uuid4())}, expect=missing)
    ctx.step("GET /protected: empty cookie value", "GET", "/protected", cookies={name: ""},
             expect=missing)
    ctx.step("GET /protected: token in the query string", "GET",
             f"/protected?jwt={f.token()}", expect=missing)


# --------------------------------------------------------------------------
# oidc: tokens from a local OpenID provider (interop/oidc_provider.py)
# --------------------------------------------------------------------------

OIDC_CLIENT_ID = "difftest.client"  # both apps get it through $OIDC_CLIENT_ID
NOT_IN_GROUP = {"result": "user not in group required to access this endpoint"}
ALG_NOT_ALLOWED = msg("The specified alg value is not allowed")


class OidcProvider:
    """The control API of interop/oidc_provider.py (started here or given by URL)."""

    def __init__(self, issuer: str):
        u = urllib.parse.urlsplit(issuer)
        self.issuer, self.base = issuer, f"{u.scheme}://{u.netloc}"
        self.proc = self.log = None

    @classmethod
    def start(cls, logdir: Path, timeout: float = 30) -> "OidcProvider":
        log = open(logdir / "oidc-provider.log", "wb")
        proc = subprocess.Popen([sys.executable, str(HERE / "oidc_provider.py"), "--port", "0"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
                                start_new_session=True)
        line = b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not line.startswith(b"READY "):
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                raise SetupError(f"oidc_provider.py exited with {proc.returncode}")
        if not line.startswith(b"READY "):
            proc.kill()
            raise SetupError("oidc_provider.py did not print READY")
        provider = cls(f"http://127.0.0.1:{int(line.split()[1])}/realms/master")
        provider.proc, provider.log = proc, log
        return provider

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        if self.log is not None:
            self.log.close()

    def call(self, method: str, path: str, body=None):
        u = urllib.parse.urlsplit(self.base)
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
        try:
            data = None if body is None else json.dumps(body).encode()
            conn.request(method, path, body=data,
                         headers={"Content-Type": "application/json"} if data else {})
            resp = conn.getresponse()
            out = json.loads(resp.read() or b"{}")
            if resp.status != 200:
                raise SetupError(f"oidc provider {method} {path}: {resp.status} {out}")
            return out
        except (OSError, http.client.HTTPException, ValueError) as exc:
            raise SetupError(f"oidc provider {method} {path}: {exc}") from exc
        finally:
            conn.close()

    def check_reachable(self) -> None:
        self.call("GET", "/control/stats")

    def mint(self, **spec) -> str:
        return self.call("POST", "/control/mint", spec)["token"]

    def keys(self) -> dict:
        return self.call("GET", "/control/keys")

    def new_key(self, publish=False) -> str:
        return self.call("POST", "/control/keys", {"publish": publish})["kid"]

    def rotate(self, keep_old=True) -> dict:
        return self.call("POST", "/control/rotate", {"keep_old": keep_old})

    def stats(self) -> dict:
        return self.call("GET", "/control/stats")

    def reset_stats(self) -> None:
        self.call("POST", "/control/stats/reset")

    def mode(self, mode: str) -> None:
        self.call("POST", f"/control/{mode}")


def wait_for_recovery(ctx: Ctx, headers, path: str, limit: float = 30) -> None:
    """After an outage, poll the port with unknown-kid tokens until it answers 422 again.

    While the port believes the provider unreachable it answers an unknown kid with
    503; it learns otherwise only from its next (rate-limited) fetch.  The later
    steps need it recovered; how long that took is reported.
    """
    res = StepResult("provider back up: rs answers an unknown kid with 422 again",
                     Request("GET", path, headers()), None, None)
    ctx.results.append(res)
    started = time.monotonic()
    while True:
        resp = send(ctx.servers["rs"].port, Request("GET", path, headers()))
        waited = time.monotonic() - started
        if resp.status == 422:
            res.notes.append(f"recovered after {waited:.1f}s")
            return
        if resp.status != 503 or waited > limit:
            res.failures.append(f"after {waited:.1f}s rs still answers {resp.summary()}")
            return
        time.sleep(0.5)


def sc_oidc(ctx: Ctx):
    op: OidcProvider = ctx.oidc
    keys = op.keys()
    ref_kid = keys["published"][0]  # the key both apps' reference side loaded
    pem = keys["keys"][ref_kid]["public_pem"]
    stray = op.new_key(publish=False)  # an RSA key the provider never publishes
    now = int(time.time())
    base_claims = {"aud": OIDC_CLIENT_ID, "email": "alice@example.test",
                   "groups": ["offline_access", "api-access"]}

    def mint(claims=None, drop=(), key=None, **spec):
        spec.setdefault("key", key or ref_kid)
        merged = {k: v for k, v in {**base_claims, **(claims or {})}.items() if k not in drop}
        return op.mint(claims=merged, drop=list(drop), **spec)

    good = mint()
    T, G, A = "/token-protected", "/group-protected", "/anonymous"
    ok_t = (200, {"result": "protected by token ok"})

    def ok_g(user="alice@example.test"):
        return (200, [{"result": "protected by token AND group membership ok"}, {"user": user}])

    check_routes(ctx, {A: ["GET"], T: ["GET"], G: ["GET"]})

    # /anonymous never reads a token.
    ctx.step("GET /anonymous", "GET", A, expect=(200, {"result": "anonymous ok"}))
    ctx.step("GET /anonymous with a garbage token", "GET", A, headers=bearer("foobarbaz"),
             expect=200)
    ctx.step("GET /anonymous with an expired token", "GET", A,
             headers=bearer(mint({"exp": now - 60})), expect=200)

    # Valid tokens, every protected route.
    ctx.step("GET /token-protected: valid token", "GET", T, headers=bearer(good), expect=ok_t)
    ctx.step("GET /group-protected: valid token", "GET", G, headers=bearer(good), expect=ok_g())
    ctx.step("HEAD /token-protected: valid token", "HEAD", T, headers=bearer(good), expect=200)
    ctx.step("HEAD /group-protected: valid token", "HEAD", G, headers=bearer(good), expect=200)
    for path in (T, G):
        ctx.step(f"GET {path}: no token", "GET", path, expect=(401, MISSING_HEADER))
        ctx.step(f"HEAD {path}: no token", "HEAD", path, expect=401)
        ctx.step(f"GET {path}: token in the query string only (headers only)", "GET",
                 f"{path}?jwt={good}", expect=(401, MISSING_HEADER))
        ctx.step(f"GET {path}: token in a cookie only (headers only)", "GET", path,
                 cookies={"access_token_cookie": good}, expect=(401, MISSING_HEADER))
        ctx.step(f"GET {path}: token in a JSON body only (headers only)", "GET", path,
                 json_body={"access_token": good}, expect=(401, MISSING_HEADER))

    # The Authorization header's shape.
    for label, value, expect, port in [
        ("empty", "", (401, MISSING_HEADER), None),
        ("'Basic x'", "Basic x", (401, MISSING_BEARER), None),
        ("lowercase 'bearer <tok>'", f"bearer {good}", (401, MISSING_BEARER), None),
        ("'Bearer' alone", "Bearer", (422, BAD_HEADER), None),
        ("'Bearer a b'", "Bearer a b", (422, BAD_HEADER), None),
        ("'Bearer <tok>, Basic x'", f"Bearer {good}, Basic x", ok_t, None),
        ("'Basic x, Bearer <tok>'", f"Basic x, Bearer {good}", ok_t, None),
        ("two spaces after Bearer", f"Bearer  {good}", ok_t, None),
        ("'Bearer ,,0' (empty list field)", "Bearer ,,0", 500, (422, BAD_HEADER)),
    ]:
        ctx.step(f"GET {T}: Authorization {label}", "GET", T,
                 headers=[("Authorization", value)], expect=expect, port_expect=port)

    # Provider states, before anything else asks for an unknown kid (the port
    # may rate-limit refetches): rotation, then the provider down and hanging.
    # The reference never fetches again, so only the port's answers change.
    #
    # Rotation: a new key, published first and used for signing; the old one stays.
    rotated = op.rotate(keep_old=True)["kid"]
    new_tok = mint(key=rotated)
    for path, expect in ((T, ok_t), (G, ok_g())):
        ctx.step(f"GET {path}: rotation: token signed with the new key", "GET", path,
                 headers=bearer(new_tok), expect=(422, BAD_SIG), port_expect=expect,
                 diverge="the reference read the key set once, at start-up")
        ctx.step(f"GET {path}: rotation: token signed with the old key", "GET", path,
                 headers=bearer(mint()), expect=expect)

    # The provider hangs, then answers 503: known keys keep working, an unknown
    # key fails closed (503, or 422 where the port's refetch budget is spent),
    # and nothing waits longer than the port's fetch timeout.  The hang comes
    # first, so that the port still has a refetch to spend on it.
    unavailable = [(503, ANY_JSON), (422, BAD_SIG)]
    for mode, what in (("hang", "hangs"), ("down", "answers 503")):
        op.reset_stats()
        op.mode(mode)
        try:
            ctx.step(f"GET {T}: provider {what}: token signed with the old key", "GET", T,
                     headers=bearer(mint()), expect=ok_t, max_seconds=10)
            ctx.step(f"GET {T}: provider {what}: token signed with the new key", "GET", T,
                     headers=bearer(mint(key=rotated)), expect=(422, BAD_SIG),
                     port_expect=ok_t, max_seconds=10,
                     diverge="the reference read the key set once, at start-up")
            res = ctx.step(f"GET {T}: provider {what}: published key, unknown kid", "GET", T,
                           headers=bearer(mint(kid=f"unknown-while-{mode}")), expect=ok_t,
                           port_expect=unavailable, max_seconds=10,
                           diverge="the reference ignores kid; ours cannot get the key set")
        finally:
            op.mode("up")
        seen = op.stats()
        res.notes.append(f"the provider saw {seen['discovery']} discovery and {seen['jwks']} "
                         f"JWKS request(s); rs answered in {res.rs.elapsed:.1f}s")
    ctx.step(f"GET {G}: provider back up: token signed with the old key", "GET", G,
             headers=bearer(mint()), expect=ok_g())
    wait_for_recovery(ctx, lambda: bearer(mint(key=stray, kid=f"probe-{uuid.uuid4()}")), T)

    # Malformed tokens.
    f = ctx.forge
    payload = {"iss": op.issuer, "exp": now + 300, "iat": now, **base_claims}
    rs_header = {"alg": "RS256", "typ": "JWT", "kid": ref_kid}
    good_sig = good.rsplit(".", 1)[1]
    # The classic key confusion: HS256 with the RSA public key (PEM) as the secret.
    unsigned = f.raw({"alg": "HS256", "typ": "JWT", "kid": ref_kid}, payload, sign=False)
    hs_with_pem = unsigned + b64url(hmac.new(pem.encode(), unsigned[:-1].encode(),
                                             hashlib.sha256).digest())
    for label, bad, reply in [
        ("foobarbaz", "foobarbaz", msg("Not enough segments")),
        ("aaaaa.bbbbb.ccccc", "aaaaa.bbbbb.ccccc", msg("Invalid header padding")),
        ("'..'", "..", msg("Invalid header string: Expecting value: line 1 column 1 (char 0)")),
        ("header is a JSON array", f.raw([1], payload, sig=good_sig),
         msg("Invalid header string: must be a json object")),
        ("payload not JSON", f.raw(rs_header, b"hello", sig=good_sig),
         msg("Invalid payload string: Expecting value: line 1 column 1 (char 0)")),
        ("signature segment bad base64", f.raw(rs_header, payload, sig="a"),
         msg("Invalid crypto padding")),
        ("header without alg", f.raw({"typ": "JWT", "kid": ref_kid}, payload, sig=good_sig),
         msg("Algorithm not specified")),
        ("kid is a number", f.raw({"alg": "RS256", "typ": "JWT", "kid": 1}, payload, sig=good_sig),
         msg("Key ID header parameter must be a string")),
        ("alg none, no signature", f.raw({"alg": "none", "typ": "JWT", "kid": ref_kid}, payload,
                                         sign=False), ALG_NOT_ALLOWED),
        ("HS256 signed with the provider's public key (PEM) as secret", hs_with_pem,
         ALG_NOT_ALLOWED),
        ("RS384 with the provider's key", mint(alg="RS384"), ALG_NOT_ALLOWED),
        ("RS512 with the provider's key", mint(alg="RS512"), ALG_NOT_ALLOWED),
        ("PS256 with the provider's key", mint(alg="PS256"), ALG_NOT_ALLOWED),
        ("signature tampered", tamper_signature(good), BAD_SIG),
        ("payload tampered (email)", tamper_payload(good, email="mallory@example.test"), BAD_SIG),
        ("payload tampered (groups)", tamper_payload(mint({"groups": []}), groups=["api-access"]),
         BAD_SIG),
        ("signature stripped", good.rsplit(".", 1)[0] + ".", BAD_SIG),
        ("signed with another RSA key, the provider's kid", mint(key=stray, kid=ref_kid), BAD_SIG),
        ("signed with another RSA key, its own unpublished kid", mint(key=stray), BAD_SIG),
    ]:
        for path in (T, G):
            ctx.step(f"GET {path}: malformed: {label}", "GET", path, headers=bearer(bad),
                     expect=(422, reply))

    # Claims.
    wrong_aud = msg("Audience doesn't match")
    for label, kw, t_expect, g_expect, quirk in [
        ("expired 1s ago", {"claims": {"exp": now - 1, "iat": now - 301}},
         (401, EXPIRED), (401, EXPIRED), None),
        ("expired 1h ago", {"claims": {"exp": now - 3600}}, (401, EXPIRED), (401, EXPIRED), None),
        ("expired, no groups claim", {"claims": {"exp": now - 60}, "drop": ["groups"]},
         (401, EXPIRED), (401, EXPIRED), None),
        ("wrong audience", {"claims": {"aud": "someone-else"}}, (422, wrong_aud),
         (422, wrong_aud), None),
        ("the upstream default client id as audience (not the configured one)",
         {"claims": {"aud": "example.my-identity-server"}}, (422, wrong_aud), (422, wrong_aud),
         None),
        ("audience list with the client id", {"claims": {"aud": ["account", OIDC_CLIENT_ID]}},
         ok_t, ok_g(), None),
        ("audience list without the client id", {"claims": {"aud": ["account", "other"]}},
         (422, wrong_aud), (422, wrong_aud), None),
        ("no aud claim", {"drop": ["aud"]}, (422, msg('Token is missing the "aud" claim')),
         (422, msg('Token is missing the "aud" claim')), None),
        ("aud is a number", {"claims": {"aud": 5}}, (422, msg("Invalid claim format in token")),
         (422, msg("Invalid claim format in token")), None),
        ("iat in the future", {"claims": {"iat": now + 3600, "exp": now + 7200}},
         (422, msg("The token is not yet valid (iat)")),
         (422, msg("The token is not yet valid (iat)")), None),
        ("nbf in the future", {"claims": {"nbf": now + 3600}},
         (422, msg("The token is not yet valid (nbf)")),
         (422, msg("The token is not yet valid (nbf)")), None),
        ("exp not a number", {"claims": {"exp": "soon"}},
         (422, msg("Expiration Time claim (exp) must be an integer.")),
         (422, msg("Expiration Time claim (exp) must be an integer.")), None),
        ("no exp (never expires)", {"drop": ["exp"]}, ok_t, ok_g(), None),
        ("no sub (the identity is email)", {"drop": ["sub"]}, ok_t, ok_g(), None),
        ("sub is a number", {"claims": {"sub": 7}}, (422, msg("Subject must be a string")),
         (422, msg("Subject must be a string")), None),
        ("jti is a number", {"claims": {"jti": 7}}, (422, msg("JWT ID must be a string")),
         (422, msg("JWT ID must be a string")), None),
        ("no email claim", {"drop": ["email"]}, (422, msg("Missing claim: email")),
         (422, msg("Missing claim: email")), None),
        ("other email", {"claims": {"email": "bob@example.test"}}, ok_t,
         ok_g("bob@example.test"), None),
        ("unicode email", {"claims": {"email": "zoë@exämple.test"}}, ok_t,
         ok_g("zoë@exämple.test"), None),
        ("email is a number", {"claims": {"email": 7}}, ok_t, ok_g(7),
         "a non-string identity is passed through by the reference"),
        ("email is null", {"claims": {"email": None}}, ok_t, ok_g(None),
         "a non-string identity is passed through by the reference"),
        ("type claim 'refresh'", {"claims": {"type": "refresh"}},
         (422, msg("Only non-refresh tokens are allowed")),
         (422, msg("Only non-refresh tokens are allowed")), None),
        ("Keycloak claims (realm_access, resource_access, scope, sid)",
         {"claims": {"realm_access": {"roles": ["user"]}, "scope": "openid email",
                     "resource_access": {"account": {"roles": ["view"]}}, "sid": "x"}},
         ok_t, ok_g(), None),
        ("no typ in the header", {"headers": {"typ": None}}, ok_t, ok_g(), None),
        ("500 groups", {"claims": {"groups": [f"g{i}" for i in range(500)] + ["api-access"]}},
         ok_t, ok_g(), None),
    ]:
        tok = mint(**kw)
        ctx.step(f"GET {T}: claims: {label}", "GET", T, headers=bearer(tok), expect=t_expect,
                 quirk=quirk)
        ctx.step(f"GET {G}: claims: {label}", "GET", G, headers=bearer(tok), expect=g_expect,
                 quirk=quirk)

    # Groups (Python's `in`).
    for label, groups, expect in [
        ("[] (empty)", [], (401, NOT_IN_GROUP)),
        ("['other']", ["other"], (401, NOT_IN_GROUP)),
        ("['API-ACCESS'] (case)", ["API-ACCESS"], (401, NOT_IN_GROUP)),
        ("['/api-access'] (Keycloak full path)", ["/api-access"], (401, NOT_IN_GROUP)),
        ("[['api-access']] (nested)", [["api-access"]], (401, NOT_IN_GROUP)),
        ("['api-access'] only", ["api-access"], ok_g()),
        ("string 'api-access'", "api-access", ok_g()),
        ("string 'my-api-access-team' (substring)", "my-api-access-team", ok_g()),
        ("string 'api'", "api", (401, NOT_IN_GROUP)),
        ("string ''", "", (401, NOT_IN_GROUP)),
        ("object with key 'api-access'", {"api-access": False}, ok_g()),
        ("object with 'api-access' as a value", {"x": "api-access"}, (401, NOT_IN_GROUP)),
        ("null", None, 500),
        ("a number", 5, 500),
    ]:
        ctx.step(f"GET {G}: groups {label}", "GET", G, headers=bearer(mint({"groups": groups})),
                 expect=expect)
    ctx.step(f"GET {T}: groups not needed (no groups claim)", "GET", T,
             headers=bearer(mint(drop=["groups"])), expect=ok_t)
    ctx.step(f"GET {G}: no groups claim", "GET", G, headers=bearer(mint(drop=["groups"])),
             expect=500, port_expect=(401, NOT_IN_GROUP),
             diverge="the reference raises KeyError without a groups claim")
    ctx.step(f"GET {G}: no groups claim, expired: the expiry answers first",
             "GET", G, headers=bearer(mint({"exp": now - 60}, drop=["groups"])),
             expect=(401, EXPIRED))

    # Issuer: the reference does not check it; ours routes tokens by iss.
    bad_iss = (422, msg("Invalid issuer"))
    for label, kw, port in [
        ("another issuer", {"claims": {"iss": "https://evil.example/realms/master"}}, bad_iss),
        ("the issuer with a trailing slash", {"claims": {"iss": op.issuer + "/"}}, bad_iss),
        ("no iss claim", {"drop": ["iss"]}, (422, msg('Token is missing the "iss" claim'))),
    ]:
        for path, expect in ((T, ok_t), (G, ok_g())):
            ctx.step(f"GET {path}: iss: {label}", "GET", path, headers=bearer(mint(**kw)),
                     expect=expect, port_expect=port,
                     diverge="the reference does not check iss")

    # kid: the reference ignores it (first key of the set); ours looks it up.
    for label, kw, expect, port, why in [
        ("no kid header", {"kid": None}, ok_t, None, None),
        ("an unpublished kid, signed by the published key", {"kid": "not-published"}, ok_t,
         (422, BAD_SIG), "the reference ignores kid"),
        ("the encryption key's kid, signed by the signing key", {"kid": keys["enc_kid"]}, ok_t,
         (422, BAD_SIG), "the reference ignores kid; the enc key is not a verification key"),
    ]:
        ctx.step(f"GET {T}: kid: {label}", "GET", T, headers=bearer(mint(**kw)), expect=expect,
                 port_expect=port, diverge=why)

    # A flood of unknown kids (tokens signed with an unpublished key): the same
    # answer on both sides, and only a few key set fetches by the port.
    op.reset_stats()
    for i in range(20):
        ctx.step(f"GET {T}: unknown-kid flood #{i + 1}", "GET", T,
                 headers=bearer(mint(key=stray, kid=f"flood-{uuid.uuid4()}")),
                 expect=(422, BAD_SIG))
    fetches = op.stats()
    res = StepResult("unknown-kid flood: key set fetches (all from rs; the reference never "
                     "refetches)", Request("STATS", "/control/stats"), None, None)
    res.notes.append(f"provider saw {fetches['jwks']} JWKS and {fetches['discovery']} "
                     f"discovery request(s) during 20 unknown kids")
    if fetches["jwks"] > 5:
        res.failures.append(f"{fetches['jwks']} JWKS fetches for 20 unknown kids (limit 5)")
    ctx.results.append(res)


EXAMPLES = {
    "simple": (sc_credentials_login("test", "test"), None),
    "quickstart": (sc_credentials_login("testuser", "testpass"), None),
    "refresh_tokens": (sc_refresh_tokens, None),
    "token_freshness": (sc_token_freshness, None),
    "optional_protected_endpoints": (sc_optional, None),
    "jwt_locations": (sc_jwt_locations, None),
    "implicit_refresh": (sc_implicit_refresh, None),
    "additional_data_in_access_token": (sc_additional_data, None),
    "automatic_user_loading": (sc_automatic_user_loading, None),
    "custom_decorators": (sc_custom_decorators, None),
    "loaders": (sc_loaders, None),
    "blocklist_redis": (sc_blocklist("Access token revoked"), "redis"),
    "blocklist_database": (sc_blocklist("JWT revoked"), None),
    "oidc": (sc_oidc, "oidc"),
}


def example_secret(name: str) -> str:
    if name == "quickstart":
        for var in ("FLASK_JWT_SECRET_KEY", "JWT_SECRET_KEY"):
            if os.environ.get(var):
                return os.environ[var]
        return "super-secret-dev-key"
    return "super-secret"


# --------------------------------------------------------------------------
# Redis helpers (blocklist_redis)
# --------------------------------------------------------------------------

def redis_urls(base: str):
    """Two URLs on the same server, different databases: py gets N, rs gets N+1."""
    u = urllib.parse.urlsplit(base)
    db = int(u.path.strip("/") or 0)
    mk = lambda n: urllib.parse.urlunsplit((u.scheme, u.netloc, f"/{n}", u.query, u.fragment))  # noqa: E731
    return mk(db), mk(db + 1)


def check_redis_reachable(url: str) -> None:
    u = urllib.parse.urlsplit(url)
    try:
        socket.create_connection((u.hostname or "127.0.0.1", u.port or 6379), timeout=2).close()
    except OSError as exc:
        raise SetupError(f"Redis is not reachable at {url} ({exc}); start one, e.g. "
                         f"redis-server --port 6379 --save '' --daemonize yes") from exc


def check_redis_entries(ctx: Ctx, urls: dict) -> None:
    """After the scenario: each side stored the revoked jti with a TTL of at most an hour."""
    try:
        import redis
    except ImportError:
        return
    for jti in getattr(ctx, "logged_out_jtis", []):
        if not isinstance(jti, str) or not jti:
            continue
        for side in SIDES:
            r = redis.Redis.from_url(urls[side], decode_responses=True)
            keys = [k for k in r.scan_iter(match=f"*{jti}*")]
            res = StepResult(f"redis ({side} db): entry for revoked jti {jti[:8]}...",
                             Request("REDIS", f"SCAN *{jti}*"), None, None)
            if not keys:
                res.failures.append(f"{side}: no Redis key contains the revoked jti")
            else:
                ttl = r.ttl(keys[0])
                if not 0 < ttl <= 3600:
                    res.failures.append(f"{side}: key {keys[0]!r} has TTL {ttl}, expected 1..3600")
            ctx.results.append(res)


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------

def report(name: str, ctx: Ctx, verbose: bool, dump: bool, only=None) -> int:
    results = [r for r in ctx.results if not only or any(k in r.label for k in only)]
    failed = [r for r in results if r.failures]
    noted = [r for r in results if r.notes and not r.failures]
    for r in results:
        if dump:
            print(f"- {r.label}\n    > {r.request.describe()}")
            for side, resp in (("py", r.py), ("rs", r.rs)):
                if resp is not None:
                    print(f"    {side}: {resp.summary()}  ({resp.elapsed:.2f}s)")
                    for c in resp.all("Set-Cookie"):
                        print(f"        Set-Cookie: {shorten(c, 140)}")
        elif verbose:
            tag = "FAIL" if r.failures else ("note" if r.notes else "ok")
            print(f"{tag:4}  {r.label}")
    for r in failed:
        print(f"\nFAIL  {r.label}\n      request: {r.request.describe()}")
        if r.py is not None and r.rs is not None:
            print(f"      py: {r.py.summary()}\n      rs: {r.rs.summary()}")
        for d in r.failures:
            print(f"      - {d}")
    if noted and (verbose or dump):
        print("\nNotes:")
        for r in noted:
            for n in r.notes:
                print(f"  {r.label}: {n}")
    n_quirk = sum(1 for r in noted if any(n.startswith("quirk") for n in r.notes))
    n_500 = sum(1 for r in noted if any("reference 500" in n for n in r.notes))
    n_div = sum(1 for r in noted if any(n.startswith("divergence") for n in r.notes))
    div = f", {n_div} documented divergences" if n_div else ""
    print(f"\ndifftest {name}: {len(results)} steps, {len(results) - len(failed)} matched, "
          f"{len(failed)} differ; notes: {n_500} reference-500 steps, {n_quirk} quirk steps "
          f"with tolerated differences{div}{' (use -v to list)' if noted and not verbose else ''}")
    return 1 if failed else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("example", nargs="?", help="example name (see --list)")
    ap.add_argument("--rust-cmd", help="shell command that starts the server under test "
                    "(it must listen on 127.0.0.1:$PORT)")
    ap.add_argument("--python-app", help="reference app (default: reference_apps/<example>.py)")
    ap.add_argument("--startup-timeout", type=float, default=60)
    ap.add_argument("--redis-url", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
                    help="blocklist_redis: py uses this database, rs the next one")
    ap.add_argument("--oidc-issuer", default=os.environ.get("OIDC_ISSUER_URL"),
                    help="oidc: issuer URL of a running interop/oidc_provider.py (default "
                         "$OIDC_ISSUER_URL; without it one is started for the run)")
    ap.add_argument("--self-check", action="store_true",
                    help="the server under test is the reference app itself: documented "
                         "divergences are compared like any other step (implied when "
                         "--rust-cmd names a file in reference_apps/)")
    ap.add_argument("--strict", action="store_true", help="quirk differences fail too")
    ap.add_argument("--fail-on-500", action="store_true",
                    help="any 500 from the server under test fails, even where the reference "
                         "500s too (the contract says the port never 500s on client input)")
    ap.add_argument("-k", dest="only", action="append",
                    help="report only steps whose label contains this (all steps still run)")
    ap.add_argument("-v", "--verbose", action="store_true", help="list every step and every note")
    ap.add_argument("--dump", action="store_true", help="print both responses of every step")
    ap.add_argument("--list", action="store_true", help="list the examples and exit")
    opts = ap.parse_args(argv)
    if opts.list:
        print("\n".join(EXAMPLES))
        return 0
    if opts.example not in EXAMPLES or not opts.rust_cmd:
        ap.error(f"need an example ({', '.join(EXAMPLES)}) and --rust-cmd")
    scenario, needs = EXAMPLES[opts.example]
    app = Path(opts.python_app) if opts.python_app else APPS_DIR / f"{opts.example}.py"
    if not app.is_file():
        ap.error(f"no reference app at {app}")

    env = {"py": {}, "rs": {}}
    urls = {}
    if needs == "redis":
        check_redis_reachable(opts.redis_url)
        urls["py"], urls["rs"] = redis_urls(opts.redis_url)
        env["py"]["REDIS_URL"], env["rs"]["REDIS_URL"] = urls["py"], urls["rs"]

    if "reference_apps" in opts.rust_cmd and app.name in opts.rust_cmd:
        opts.self_check = True
    secret = example_secret(opts.example)
    provider = None
    with tempfile.TemporaryDirectory(prefix="difftest-") as tmp:
        servers = {"py": Server("py", [sys.executable, str(app)], env["py"], Path(tmp)),
                   "rs": Server("rs", opts.rust_cmd, env["rs"], Path(tmp))}
        try:
            if needs == "oidc":
                provider = (OidcProvider(opts.oidc_issuer) if opts.oidc_issuer
                            else OidcProvider.start(Path(tmp)))
                provider.check_reachable()
                for side in SIDES:
                    servers[side].env.update(OIDC_ISSUER_URL=provider.issuer,
                                             OIDC_CLIENT_ID=OIDC_CLIENT_ID)
            for s in servers.values():
                s.start(opts.startup_timeout)
            ctx = Ctx(servers, secret, Forge(secret), opts)
            ctx.oidc = provider
            try:
                scenario(ctx)
                if needs == "redis":
                    check_redis_entries(ctx, urls)
            except Exception:  # a harness bug or a wildly unexpected answer
                report(opts.example, ctx, opts.verbose, opts.dump, opts.only)
                print(f"difftest {opts.example}: scenario aborted after step "
                      f"{ctx.results[-1].label if ctx.results else '-'!r}:\n"
                      f"{traceback.format_exc()}", file=sys.stderr)
                return 2
            code = report(opts.example, ctx, opts.verbose, opts.dump, opts.only)
            for s in servers.values():
                died = s.proc.poll() is not None
                if died or (code and opts.verbose):
                    state = f"exited with {s.proc.returncode}" if died else "log tail"
                    print(f"\n{s.side} server {state}:\n{s.log_tail()}")
                    code = code or 1
            return code
        except SetupError as exc:
            print(f"difftest {opts.example}: setup error: {exc}", file=sys.stderr)
            return 2
        finally:
            for s in servers.values():
                s.stop()
            if provider is not None:
                provider.stop()


if __name__ == "__main__":
    sys.exit(main())

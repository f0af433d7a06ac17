#!/usr/bin/env python3
"""End-to-end check of the `sessions` example (it has no Python counterpart:
the reference has no sessions), over real HTTP against the built binary.

    python3 interop/sessions_check.py --bin target/debug/examples/sessions
    python3 interop/sessions_check.py --bin ... --redis redis://127.0.0.1:6379/0

Without --redis one instance runs with the in-memory store. With --redis two
instances share one Redis and every step alternates between them; 60
concurrent refreshes of one refresh token across both must rotate it exactly
once. Each scenario also runs with JWT_REFRESH_REUSE_GRACE=5 (the grace
window). Exit status 0 when every check holds; each failure is printed.
"""

import argparse
import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

FAILURES = []


def check(holds, what):
    if not holds:
        FAILURES.append(what)
        print(f"FAIL: {what}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def claims(token):
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


class Server:
    def __init__(self, binary, env):
        self.port = free_port()
        full = dict(os.environ, PORT=str(self.port), RUST_LOG="warn", **env)
        if "REDIS_URL" not in env:
            full.pop("REDIS_URL", None)
        self.proc = subprocess.Popen([binary], env=full, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"the example did not listen on {self.port}")

    def call(self, method, path, token=None, body=None, agent="check"):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data,
                                     method=method)
        req.add_header("User-Agent", agent)
        if body is not None:
            req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status, json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                return err.code, json.loads(raw)
            except ValueError:
                return err.code, raw.decode(errors="replace")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def login(srv, user="testuser", password="testpass", agent="check"):
    status, body = srv.call("POST", "/login", body={"username": user, "password": password},
                            agent=agent)
    check(status == 200, f"login {user}: {status} {body}")
    return body["access_token"], body["refresh_token"]


def scenario(servers, grace):
    a, b = servers[0], servers[-1]
    tag = f"[grace {grace}, {len(servers)} instance(s)]"
    status, body = a.call("POST", "/login", body={"username": "testuser", "password": "nope"})
    check((status, body) == (401, {"msg": "Bad username or password"}), f"{tag} bad login: {status} {body}")

    access, refresh = login(a, agent="phone")
    other_access, _ = login(b, agent="laptop")
    status, body = b.call("GET", "/protected", access)
    check((status, body) == (200, {"logged_in_as": "testuser"}), f"{tag} protected: {status} {body}")

    status, body = b.call("GET", "/sessions", access)
    mine = body.get("sessions", []) if isinstance(body, dict) else []
    check(status == 200 and len(mine) >= 2, f"{tag} sessions: {status} {body}")
    current = [s for s in mine if s["current"]]
    check(len(current) == 1 and current[0]["id"] == claims(access)["sid"],
          f"{tag} exactly the token's session is current: {mine}")
    check({"phone", "laptop"} <= {s.get("user_agent") for s in mine}, f"{tag} user agents listed: {mine}")

    # Rotation: a new pair of the same session, ending when the first would.
    status, body = b.call("POST", "/refresh", refresh)
    check(status == 200 and set(body) == {"access_token", "refresh_token"}, f"{tag} refresh: {status} {body}")
    refresh2, access2 = body["refresh_token"], body["access_token"]
    check(claims(refresh2)["sid"] == claims(refresh)["sid"], f"{tag} same session after refresh")
    check(claims(refresh2)["exp"] == claims(refresh)["exp"], f"{tag} rotation keeps the session's end")
    check(claims(refresh2)["jti"] != claims(refresh)["jti"], f"{tag} a new refresh token")

    # The used refresh token again.
    status, body = a.call("POST", "/refresh", refresh)
    if grace:
        check(status == 200 and claims(body["refresh_token"])["jti"] == claims(refresh2)["jti"],
              f"{tag} retry within the grace window gets the current refresh token: {status} {body}")
        status, body = a.call("POST", "/refresh", refresh2)
        check(status == 200, f"{tag} the current refresh token still rotates: {status} {body}")
        refresh3 = body["refresh_token"]
        status, body = b.call("POST", "/refresh", refresh)
        check(status == 401, f"{tag} an older token is reuse even inside the window: {status} {body}")
        dead = [access2, refresh3]
    else:
        check((status, body) == (401, {"msg": "Refresh token has already been used"}),
              f"{tag} reuse is refused: {status} {body}")
        dead = [access2, refresh2]
    status, body = b.call("GET", "/protected", dead[0])
    check((status, body) == (401, {"msg": "Token has been revoked"}), f"{tag} reuse revoked the session: {status} {body}")
    status, body = a.call("POST", "/refresh", dead[1])
    check((status, body) == (401, {"msg": "Token has been revoked"}), f"{tag} reuse revoked the refresh token: {status} {body}")
    status, body = a.call("GET", "/protected", other_access)
    check(status == 200, f"{tag} another session lives on: {status} {body}")

    # Ending one session by id; other ids are 404.
    victim_access, _ = login(a, agent="tablet")
    sid = claims(victim_access)["sid"]
    other_user_access, _ = login(a, "otheruser", "otherpass")
    status, body = b.call("DELETE", f"/sessions/{claims(other_user_access)['sid']}", other_access)
    check(status == 404, f"{tag} deleting another user's session: {status} {body}")
    status, body = b.call("DELETE", "/sessions/no-such-session", other_access)
    check(status == 404 and "msg" in body, f"{tag} deleting an unknown session: {status} {body}")
    status, body = b.call("DELETE", f"/sessions/{sid}", other_access)
    check(status == 200 and "msg" in body, f"{tag} deleting one's own session: {status} {body}")
    status, body = a.call("GET", "/protected", victim_access)
    check((status, body) == (401, {"msg": "Token has been revoked"}), f"{tag} the deleted session is revoked: {status} {body}")

    # Logout with the access token alone.
    logout_access, logout_refresh = login(b, agent="kiosk")
    status, body = a.call("POST", "/logout", logout_access)
    check(status == 200, f"{tag} logout: {status} {body}")
    status, body = b.call("POST", "/refresh", logout_refresh)
    check((status, body) == (401, {"msg": "Token has been revoked"}), f"{tag} logout revoked the refresh token: {status} {body}")

    # Log out everywhere.
    status, body = b.call("POST", "/logout_all", other_access)
    check(status == 200, f"{tag} logout_all: {status} {body}")
    status, body = a.call("GET", "/protected", other_access)
    check((status, body) == (401, {"msg": "Token has been revoked"}), f"{tag} logout_all revoked everything: {status} {body}")
    status, body = a.call("GET", "/protected", other_user_access)
    check(status == 200, f"{tag} another identity is untouched: {status} {body}")
    time.sleep(1.1)
    fresh_access, _ = login(b)
    status, body = a.call("GET", "/protected", fresh_access)
    check(status == 200, f"{tag} a login after logout_all works: {status} {body}")
    status, body = a.call("GET", "/sessions", fresh_access)
    check(status == 200 and len(body["sessions"]) == 1, f"{tag} only the new session is left: {body}")


def race(servers, grace):
    """Many concurrent refreshes of one token across the instances."""
    tag = f"[race, grace {grace}, {len(servers)} instance(s)]"
    _, refresh = login(servers[0])
    results = []
    lock = threading.Lock()

    def one(i):
        status, body = servers[i % len(servers)].call("POST", "/refresh", refresh)
        with lock:
            results.append((status, body))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(60)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = [body for status, body in results if status == 200]
    if grace:
        jtis = {claims(body["refresh_token"])["jti"] for body in ok}
        check(len(ok) == 60 and len(jtis) == 1,
              f"{tag} all 60 get the one current refresh token: {len(ok)} ok, {len(jtis)} jtis")
    else:
        check(len(ok) == 1, f"{tag} exactly one of 60 refreshes wins: {len(ok)} won")
        others = {json.dumps(body) for status, body in results if status != 200}
        check(all(status == 401 for status, _ in results if status != 200),
              f"{tag} the losers get 401: {others}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", required=True)
    parser.add_argument("--redis")
    args = parser.parse_args()
    for grace in (0, 5):
        env = {"JWT_REFRESH_REUSE_GRACE": str(grace)}
        if args.redis:
            env["REDIS_URL"] = args.redis
        servers = [Server(args.bin, env) for _ in range(2 if args.redis else 1)]
        try:
            scenario(servers, grace)
            race(servers, grace)
        finally:
            for srv in servers:
                srv.stop()
    mode = "Redis, two instances" if args.redis else "memory"
    if FAILURES:
        print(f"sessions_check ({mode}): {len(FAILURES)} failure(s)")
        sys.exit(1)
    print(f"sessions_check ({mode}): every check holds")


if __name__ == "__main__":
    main()

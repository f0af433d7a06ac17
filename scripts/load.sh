#!/usr/bin/env bash
# Load test: the release quickstart under 256 concurrent connections for 30 s
# (wrk), with valid, expired, forged, malformed, alg-none and missing tokens
# mixed. Passes when
#   - every response is one of the expected (status, body) pairs (counted in
#     scripts/load.lua's `response` hook): zero unexpected statuses,
#   - wrk reports zero connect/read/write/timeout errors,
#   - the server's peak RSS (VmHWM) stays under LOAD_MAX_RSS_MB (default 256),
#   - the server still answers a valid request afterwards.
#
#   scripts/load.sh              256 connections, 30 s
#   scripts/load.sh --smoke      64 connections, 5 s
#   scripts/load.sh -c 512 -d 60
#
# Needs wrk, curl and python3. Results are summarised on stdout; the raw wrk
# output, memory samples and server log go to target/load/.
set -euo pipefail
cd "$(dirname "$0")/.."

connections=256
duration=30
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) connections=64; duration=5; shift ;;
    -c) connections=$2; shift 2 ;;
    -d) duration=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
max_rss_mb=${LOAD_MAX_RSS_MB:-256}

for tool in wrk curl python3; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (scripts/install-deps.sh)" >&2; exit 1; }
done

target_dir=$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
out="$target_dir/load"
mkdir -p "$out"

echo "==> building the release quickstart"
nice -n 10 cargo build --release --example quickstart 2>"$out/build.log" ||
  { tail -20 "$out/build.log" >&2; exit 1; }
binary="$target_dir/release/examples/quickstart"

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
url="http://127.0.0.1:$port"

JWT_SECRET_KEY=$secret PORT=$port RUST_LOG=warn "$binary" >"$out/server.log" 2>&1 &
server=$!
sampler=
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -s -o /dev/null "$url/protected" && break
  sleep 0.1
done

valid=$(curl -sf -X POST "$url/login" -H 'Content-Type: application/json' \
  -d '{"username": "testuser", "password": "testpass"}' |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])')
# An expired token signed with the server's secret, and a forged one.
read -r expired forged < <(SECRET=$secret python3 - <<'EOF'
import base64, hashlib, hmac, json, os, time
def b64(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def token(secret, claims):
    m = b64(b'{"alg":"HS256","typ":"JWT"}') + "." + b64(json.dumps(claims).encode())
    return m + "." + b64(hmac.new(secret, m.encode(), hashlib.sha256).digest())
now = int(time.time())
claims = {"fresh": False, "iat": now - 3600, "jti": "x", "type": "access", "sub": "testuser",
          "nbf": now - 3600, "exp": now - 1800}
print(token(os.environ["SECRET"].encode(), claims),
      token(b"attacker", dict(claims, exp=now + 3600)))
EOF
)

rss() { awk '/^VmRSS/ {print $2}' "/proc/$server/status"; }
baseline=$(rss)
(
  while kill -0 "$server" 2>/dev/null; do
    awk -v t="$(date +%s)" '/^VmRSS|^VmHWM/ {printf "%s %s %s\n", t, $1, $2}' "/proc/$server/status" 2>/dev/null || true
    sleep 1
  done
) >"$out/memory.txt" &
sampler=$!

echo "==> wrk: $connections connections, $threads threads, ${duration}s against $url/protected"
LOAD_VALID=$valid LOAD_EXPIRED=$expired LOAD_FORGED=$forged \
  wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s --latency \
  -s scripts/load.lua "$url/protected" >"$out/wrk.txt" 2>&1 || true
sed -n '/--- load.lua summary/,$p' "$out/wrk.txt"

after=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $valid" "$url/protected" || echo 000)
final=$(rss)
peak=$(awk '/^VmHWM/ {print $2}' "/proc/$server/status")
echo "memory: RSS before ${baseline} kB, after ${final} kB, peak (VmHWM) ${peak} kB (limit ${max_rss_mb} MB)"
echo "valid request after the load: $after"

fail=0
unexpected=$(awk '/^unexpected:/ {print $2}' "$out/wrk.txt")
errors=$(awk -F'[ ,]+' '/^socket_errors:/ {print $3 + $5 + $7 + $9}' "$out/wrk.txt")
requests=$(awk '/^requests:/ {print $2}' "$out/wrk.txt")
[ -n "$requests" ] && [ "$requests" -gt 0 ] || { echo "FAIL: no requests completed (see $out/wrk.txt)"; fail=1; }
[ "${unexpected:-1}" = 0 ] || { echo "FAIL: $unexpected unexpected responses"; fail=1; }
[ "${errors:-1}" = 0 ] || { echo "FAIL: $errors socket errors"; fail=1; }
[ "$after" = 200 ] || { echo "FAIL: the server no longer answers a valid request"; fail=1; }
[ "$peak" -lt $((max_rss_mb * 1024)) ] || { echo "FAIL: peak RSS ${peak} kB over ${max_rss_mb} MB"; fail=1; }
if [ "$fail" = 0 ]; then echo "PASS"; fi
exit $fail

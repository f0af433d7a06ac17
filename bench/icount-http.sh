#!/usr/bin/env bash
# Instructions per HTTP request, server side, counted with callgrind: the
# repeatable counterpart of bench/http.sh's CPU time per request (which a
# busy machine makes noisy). Each server runs under valgrind twice and
# answers N1, then N2 requests on one keep-alive connection from a small
# Python client; (count(N2) - count(N1)) / (N2 - N1) is one request,
# start-up excluded. User-space instructions only: the kernel's share (the
# socket calls) is not counted.
#
#   bench/icount-http.sh                          # ours, baseline, ours-bare, ours-memory, ours-redis
#   bench/icount-http.sh --extra ours-before=bench/results/bin/quickstart-before
#   bench/icount-http.sh --extra before-redis=bench/results/bin/bench-server-before
#                        (a NAME ending in -redis/-memory runs with that blocklist)
#   ICOUNT_N1=100 ICOUNT_N2=600 bench/icount-http.sh
#
# Writes bench/results/icount-http-<time>.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N1=${ICOUNT_N1:-100}
N2=${ICOUNT_N2:-600}
EXTRA=()
while [ $# -gt 0 ]; do
  case "$1" in
    --extra) EXTRA+=("$2"); shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done
command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }

nice -n 10 cargo build -q --release -p jwt-extended --example quickstart
nice -n 10 cargo build -q --release -p baseline -p bench-server
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
declare -A BIN=(
  [ours]=$target_dir/release/examples/quickstart
  [baseline]=$target_dir/release/baseline
  [ours-bare]=$target_dir/release/bench-server
  [ours-memory]=$target_dir/release/bench-server
  [ours-redis]=$target_dir/release/bench-server
)
declare -A BLOCKLIST=([ours-bare]=none [ours-memory]=memory [ours-redis]=redis)
SERVERS=(ours baseline ours-bare ours-memory ours-redis)
for extra in "${EXTRA[@]}"; do
  name=${extra%%=*}
  BIN[$name]=$(realpath "${extra#*=}")
  SERVERS+=("$name")
  # A saved bench/server build with a blocklist (NAME ending in -redis or -memory).
  case $name in
    *-redis) BLOCKLIST[$name]=redis ;;
    *-memory) BLOCKLIST[$name]=memory ;;
  esac
done

work=$(mktemp -d /tmp/icount-http.XXXXXX)
SERVICES_DIR=""
SERVER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$SERVICES_DIR" ] && scripts/services.sh stop "$SERVICES_DIR" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/services.sh start)"
SERVICES_DIR=$JWT_EXT_SERVICES_DIR

cat >"$work/client.py" <<'EOF'
import http.client, json, sys, time
port, route, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
body = json.dumps({"username": "testuser", "password": "testpass"})
json_headers = {"Content-Type": "application/json"}
deadline = time.time() + 120
while True:  # the server starts slowly under valgrind
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.request("POST", "/login", body, json_headers)
        token = json.loads(c.getresponse().read())["access_token"]
        break
    except (OSError, http.client.HTTPException):
        if time.time() > deadline:
            sys.exit("server did not start")
        time.sleep(0.2)
for _ in range(n):
    if route == "protected":
        c.request("GET", "/protected", headers={"Authorization": f"Bearer {token}"})
    else:
        c.request("POST", "/login", body, json_headers)
    r = c.getresponse()
    r.read()
    if r.status != 200:
        sys.exit(f"{route}: HTTP {r.status}")
EOF

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

count() { # server route requests -> instructions of the whole server run
  local name=$1 route=$2 n=$3 port log
  port=$(free_port)
  log=$work/$name-$route-$n.log
  PORT=$port JWT_SECRET_KEY=super-secret-dev-key RUST_LOG=warn REDIS_URL=$REDIS_URL \
    BENCH_BLOCKLIST=${BLOCKLIST[$name]:-none} \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${BIN[$name]}" >"$log" 2>&1 &
  SERVER_PID=$!
  python3 "$work/client.py" "$port" "$route" "$n" || { cat "$log" >&2; exit 1; }
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

mkdir -p bench/results
out=bench/results/icount-http-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "Instructions per HTTP request, server side (callgrind; ($N2 - $N1) requests on one keep-alive connection; $(git rev-parse --short HEAD))"
  echo
  echo "| route | server | instructions/request | ×baseline |"
  echo "|---|---|---:|---:|"
} >"$out"
for route in protected login; do
  declare -A per=()
  for name in "${SERVERS[@]}"; do
    # Login: the quickstart-like servers only (not the blocklist variants).
    [ "$route" = login ] && [ -n "${BLOCKLIST[$name]:-}" ] && continue
    a=$(count "$name" "$route" "$N1")
    b=$(count "$name" "$route" "$N2")
    per[$name]=$(((b - a) / (N2 - N1)))
  done
  for name in "${SERVERS[@]}"; do
    [ -n "${per[$name]:-}" ] || continue
    ratio=$(python3 -c "print(f'{${per[$name]} / ${per[baseline]}:.3f}')")
    echo "| $route | $name | ${per[$name]} | $ratio |" >>"$out"
  done
  unset per
done
cat "$out"
echo "(written to $out)"

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
#   bench/icount-http.sh --servers "ours-bare ours-set10"     # only these
#
# Servers beyond the default five (BENCHMARKS.md, round 6), for --servers:
#   ours-set10   bench/server with a set of ten HS256 keys, the token naming
#                one by kid (BENCH_KEYS=set10); compare with ours-bare
#   ours-set1    the same with one key (kid in the token, no other key)
#   ours-remote  bench/server verifying RS256 tokens with keys from a JWK
#                Set (BENCH_KEYS=remote), from bench/jwks_provider.py
#   authorizer   bench/authorizer (jwt-authorizer, built outside the
#                workspace), same provider and token as ours-remote
# The ratio column is against baseline when it is measured, otherwise
# against the first server listed.
#
# Writes bench/results/icount-http-<time>.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
N1=${ICOUNT_N1:-100}
N2=${ICOUNT_N2:-600}
EXTRA=()
ONLY_SERVERS=""
while [ $# -gt 0 ]; do
  case "$1" in
    --extra) EXTRA+=("$2"); shift ;;
    --servers) ONLY_SERVERS=$2; shift ;;
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
  [ours-set10]=$target_dir/release/bench-server
  [ours-set1]=$target_dir/release/bench-server
  [ours-static-kid]=$target_dir/release/bench-server
  [ours-memory-sessions]=$target_dir/release/bench-server
  [ours-redis-sessions]=$target_dir/release/bench-server
  [ours-remote]=$target_dir/release/bench-server
)
declare -A BLOCKLIST=([ours-bare]=none [ours-memory]=memory [ours-redis]=redis [ours-memory-sessions]=memory-sessions [ours-redis-sessions]=redis-sessions)
declare -A KEYS=([ours-set10]=set10 [ours-set1]=set1 [ours-static-kid]=static-kid [ours-remote]=remote)
SERVERS=(ours baseline ours-bare ours-memory ours-redis)
[ -n "$ONLY_SERVERS" ] && read -r -a SERVERS <<<"$ONLY_SERVERS"
if [[ " ${SERVERS[*]} " == *" authorizer "* ]]; then
  nice -n 10 cargo build -q --release --manifest-path bench/authorizer/Cargo.toml
  BIN[authorizer]=$(cargo metadata --format-version 1 --no-deps --manifest-path bench/authorizer/Cargo.toml |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/bench-authorizer
fi
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
PROVIDER_PID=""
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
  [ -n "$PROVIDER_PID" ] && kill "$PROVIDER_PID" 2>/dev/null || true
  [ -n "$SERVICES_DIR" ] && scripts/services.sh stop "$SERVICES_DIR" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
eval "$(scripts/services.sh start)"
SERVICES_DIR=$JWT_EXT_SERVICES_DIR

cat >"$work/client.py" <<'EOF'
import http.client, json, sys, time
port, route, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
given = sys.argv[4] if len(sys.argv) > 4 else ""  # a token from the provider
body = json.dumps({"username": "testuser", "password": "testpass"})
json_headers = {"Content-Type": "application/json"}
deadline = time.time() + 120
while True:  # the server starts slowly under valgrind
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        if given:  # no /login: ready once the token passes (keys fetched)
            token = given
            c.request("GET", "/protected", headers={"Authorization": f"Bearer {token}"})
            r = c.getresponse()
            r.read()
            if r.status != 200:
                raise OSError(f"HTTP {r.status}")
            break
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

# The provider of ours-remote and authorizer (not under valgrind), and its token.
ISSUER="" TOKEN=""
if [[ " ${SERVERS[*]} " == *" ours-remote "* || " ${SERVERS[*]} " == *" authorizer "* ]]; then
  provider_port=$(free_port)
  ISSUER=http://127.0.0.1:$provider_port
  python3 bench/jwks_provider.py serve "$provider_port" >"$work/provider.log" 2>&1 &
  PROVIDER_PID=$!
  for _ in $(seq 1 50); do
    python3 bench/jwks_provider.py stats "$provider_port" >/dev/null 2>&1 && break
    sleep 0.1
  done
  TOKEN=$(python3 bench/jwks_provider.py token "$ISSUER" bench-api alice@example.com)
fi

count() { # server route requests -> instructions of the whole server run
  local name=$1 route=$2 n=$3 port log token=""
  port=$(free_port)
  log=$work/$name-$route-$n.log
  case $name in ours-remote | authorizer) token=$TOKEN ;; esac
  PORT=$port JWT_SECRET_KEY=super-secret-dev-key RUST_LOG=warn REDIS_URL=$REDIS_URL \
    BENCH_BLOCKLIST=${BLOCKLIST[$name]:-none} BENCH_KEYS=${KEYS[$name]:-static} \
    BENCH_ISSUER=$ISSUER BENCH_AUDIENCE=bench-api \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "${BIN[$name]}" >"$log" 2>&1 &
  SERVER_PID=$!
  python3 "$work/client.py" "$port" "$route" "$n" $token || { cat "$log" >&2; exit 1; }
  kill -TERM "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
  sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$log"
}

mkdir -p bench/results
out=bench/results/icount-http-$(date -u +%Y%m%dT%H%M%SZ).md
REF=${SERVERS[0]}
[[ " ${SERVERS[*]} " == *" baseline "* ]] && REF=baseline
{
  echo "Instructions per HTTP request, server side (callgrind; ($N2 - $N1) requests on one keep-alive connection; $(git rev-parse --short HEAD))"
  echo
  echo "| route | server | instructions/request | ×$REF |"
  echo "|---|---|---:|---:|"
} >"$out"
for route in protected login; do
  declare -A per=()
  for name in "${SERVERS[@]}"; do
    # Login: the quickstart-like servers only (not the blocklist variants).
    [ "$route" = login ] && [ -n "${BLOCKLIST[$name]:-}" ] && continue
    # ... nor the servers of provider tokens (no /login to speak of).
    [ "$route" = login ] && { [ "$name" = ours-remote ] || [ "$name" = authorizer ]; } && continue
    a=$(count "$name" "$route" "$N1")
    b=$(count "$name" "$route" "$N2")
    per[$name]=$(((b - a) / (N2 - N1)))
  done
  for name in "${SERVERS[@]}"; do
    [ -n "${per[$name]:-}" ] || continue
    ratio="–" # e.g. login, where the reference server was not measured
    [ -n "${per[$REF]:-}" ] && ratio=$(python3 -c "print(f'{${per[$name]} / ${per[$REF]}:.3f}')")
    echo "| $route | $name | ${per[$name]} | $ratio |" >>"$out"
  done
  unset per
done
cat "$out"
echo "(written to $out)"

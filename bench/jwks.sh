#!/usr/bin/env bash
# Remote keys under load (BENCHMARKS.md, round 6): GET /protected with an
# RS256 bearer token whose key comes from a JWK Set, on
#
#   ours         bench/server with BENCH_KEYS=remote (jwt-extended's
#                TrustedIssuer + RemoteJwks, default settings)
#   authorizer   bench/authorizer: jwt-authorizer 0.15 (the best-known axum
#                JWKS validator), default refresh; its own crate outside the
#                workspace, so CI never builds it
#
# Both find the keys through OIDC discovery on one small provider,
# bench/jwks_provider.py on 127.0.0.1 (two RSA keys published, the token
# signed with the fixture key rsa2048, kid "bench-1"), check the same things
# (signature, exp, nbf, iss, aud; no leeway) and answer the same bytes.
#
# 1. Throughput: wrk, interleaved rounds, medians (as bench/http.sh): the
#    servers on CPU 0, wrk and the provider on CPU 1.
# 2. Unknown-kid flood: for each server, a fresh provider and a fresh
#    server; one valid request (the first fetch), then wrk for --flood
#    seconds with a new random kid in every token; the provider's fetch
#    counters tell how many fetches the flood caused. Then the provider
#    publishes a new key and a token signed under it is sent every 100 ms:
#    how long until it is accepted (a key rotated in right after a flood).
#
# usage: bench/jwks.sh [--rounds N] [--duration SECONDS] [--connections "64 256"]
#                      [--flood SECONDS] [--no-load] [--no-flood] [--quick]
#   --quick   one 2-second round and a 3-second flood: checks the script runs.
#
# Results: bench/results/jwks-<time>/ (raw wrk output, results.csv,
# flood.csv, summary.md); the summary is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ROUNDS=5
DURATION=10
WARMUP=2
CONNECTIONS="64 256"
FLOOD=10
PROBE=15
LOAD=1
DO_FLOOD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --flood) FLOOD=$2; shift ;;
    --no-load) LOAD=0 ;;
    --no-flood) DO_FLOOD=0 ;;
    --quick) ROUNDS=1 DURATION=2 WARMUP=1 FLOOD=3 PROBE=3 ;;
    -h | --help) sed -n '2,30p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[jwks.sh $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }
command -v wrk >/dev/null || die "wrk is required (apt-get install wrk, or run bench/http.sh once)"
python3 -c 'import jwt, cryptography' 2>/dev/null || die "PyJWT and cryptography are required (pip install pyjwt cryptography)"

if [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
  PINNING="servers on CPU 0, wrk and the provider on CPU 1"
else
  SERVER_CPU=()
  LOAD_CPU=()
  PINNING="none (one CPU)"
fi

# --- build -------------------------------------------------------------------
log "building (release): bench/server, bench/authorizer (outside the workspace)"
nice -n 10 cargo build -q --release -p bench-server
nice -n 10 cargo build -q --release --manifest-path bench/authorizer/Cargo.toml
target_dir() { # manifest -> its target directory
  cargo metadata --format-version 1 --no-deps --manifest-path "$1" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])'
}
declare -A BIN=(
  [ours]=$(target_dir Cargo.toml)/release/bench-server
  [authorizer]=$(target_dir bench/authorizer/Cargo.toml)/release/bench-authorizer
)
SERVERS=(ours authorizer)
for name in "${SERVERS[@]}"; do [ -x "${BIN[$name]}" ] || die "missing ${BIN[$name]}"; done

# --- results and clean-up ----------------------------------------------------
RESULTS=$ROOT/bench/results/jwks-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$RESULTS/raw" "$RESULTS/logs"
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}
PROVIDER=(python3 "$ROOT/bench/jwks_provider.py")
AUDIENCE=bench-api

start_provider() { # -> sets PROVIDER_PORT, ISSUER
  PROVIDER_PORT=$(free_port)
  ISSUER=http://127.0.0.1:$PROVIDER_PORT
  "${LOAD_CPU[@]}" "${PROVIDER[@]}" serve "$PROVIDER_PORT" >"$RESULTS/logs/provider-$PROVIDER_PORT.log" 2>&1 &
  PIDS+=($!)
  local i
  for i in $(seq 1 50); do
    "${PROVIDER[@]}" stats "$PROVIDER_PORT" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the provider did not start"
}

status_of() { # port token -> HTTP status of GET /protected
  curl -s -o /dev/null -w '%{http_code}' -m 5 -H "Authorization: Bearer $2" "http://127.0.0.1:$1/protected" || true
}

declare -A PID PORTS
start_server() { # name -> PID[name], PORTS[name]; ready when the token passes
  local name=$1 port i
  port=$(free_port)
  PORT=$port BENCH_KEYS=remote BENCH_ISSUER=$ISSUER BENCH_AUDIENCE=$AUDIENCE RUST_LOG=warn \
    "${SERVER_CPU[@]}" "${BIN[$name]}" >"$RESULTS/logs/$name-$port.log" 2>&1 &
  PID[$name]=$!
  PIDS+=($!)
  PORTS[$name]=$port
  for i in $(seq 1 100); do
    [ "$(status_of "$port" "$TOKEN")" = 200 ] && { log "$name: pid ${PID[$name]}, port $port"; return 0; }
    kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited; see $RESULTS/logs/$name-$port.log"
    sleep 0.1
  done
  die "$name did not accept the token on port $port"
}

stop_server() { # name
  kill "${PID[$1]}" 2>/dev/null || true
  wait "${PID[$1]}" 2>/dev/null || true
}

cpu_ticks() { # pid -> utime+stime in clock ticks
  local fields
  fields=$(sed 's/^.*) //' "/proc/$1/stat")
  set -- $fields
  echo $((${12} + ${13}))
}

{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src bench 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  echo "rustc: $(rustc --version)"
  echo "jwt-authorizer: $(sed -n '/^name = "jwt-authorizer"/{n;s/version = //p}' bench/authorizer/Cargo.lock)"
  echo "rounds: $ROUNDS x ${DURATION}s (warm-up ${WARMUP}s); connections: $CONNECTIONS; flood: ${FLOOD}s; pinning: $PINNING"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS/machine.txt"

# --- 1. throughput -----------------------------------------------------------
echo "server,connections,round,requests_per_sec,requests,p50_ms,p99_ms,non_2xx,socket_errors,server_cores,server_cpu_us_per_req" >"$RESULTS/results.csv"
if [ "$LOAD" = 1 ]; then
  start_provider
  TOKEN=$("${PROVIDER[@]}" token "$ISSUER" "$AUDIENCE" alice@example.com)
  for name in "${SERVERS[@]}"; do start_server "$name"; done
  run_wrk() { # name conns seconds out
    "${LOAD_CPU[@]}" wrk -t1 -c"$2" -d"${3}s" --latency -H "Authorization: Bearer $TOKEN" \
      "http://127.0.0.1:${PORTS[$1]}/protected" >"$4" 2>&1
  }
  for name in "${SERVERS[@]}"; do run_wrk "$name" 64 "$WARMUP" /dev/null; done
  for round in $(seq 1 "$ROUNDS"); do
    log "round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
    for conns in $CONNECTIONS; do
      for name in "${SERVERS[@]}"; do
        raw=$RESULTS/raw/$name-c$conns-r$round.txt
        before=$(cpu_ticks "${PID[$name]}")
        run_wrk "$name" "$conns" "$DURATION" "$raw" || die "wrk failed for $name; see $raw"
        after=$(cpu_ticks "${PID[$name]}")
        python3 - "$raw" "$name" "$conns" "$round" "$((after - before))" "$DURATION" "$(getconf CLK_TCK)" \
          >>"$RESULTS/results.csv" <<'EOF'
import re, sys
raw, name, conns, rnd, ticks, secs, hz = sys.argv[1:]
text = open(raw).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s*([\d.]+)", text) or sys.exit(f"no Requests/sec in {raw}")
requests = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
cpu = int(ticks) / int(hz)
p50 = ms(re.search(r"^\s*50%\s+(\S+)", text, re.M).group(1))
p99 = ms(re.search(r"^\s*99%\s+(\S+)", text, re.M).group(1))
print(",".join(map(str, [name, conns, rnd, rps.group(1), requests, f"{p50:.3f}", f"{p99:.3f}",
    non2xx.group(1) if non2xx else 0, sum(map(int, sock.groups())) if sock else 0,
    f"{cpu / float(secs):.3f}", f"{cpu * 1e6 / max(requests, 1):.2f}"])))
EOF
      done
    done
  done
  echo "fetches during the load runs: $("${PROVIDER[@]}" stats "$PROVIDER_PORT")" >>"$RESULTS/machine.txt"
  for name in "${SERVERS[@]}"; do
    echo "$name peak RSS: $(sed -n 's/^VmHWM:[[:space:]]*//p' "/proc/${PID[$name]}/status")" >>"$RESULTS/machine.txt"
    stop_server "$name"
  done
fi

# --- 2. unknown-kid flood ----------------------------------------------------
# Every request carries a token with a new random kid (valid claims, the
# signature of another header: never reaches a signature check).
cat >"$RESULTS/flood.lua" <<'EOF'
local A = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
local function b64url(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local v = a * 65536 + (b or 0) * 256 + (c or 0)
    local n = c and 4 or (b and 3 or 2)
    for j = 1, n do
      local k = math.floor(v / 2 ^ (18 - 6 * (j - 1))) % 64
      out[#out + 1] = A:sub(k + 1, k + 1)
    end
  end
  return table.concat(out)
end
local rest
function init(args)
  rest = args[1]
  math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
end
function request()
  local kid = string.format("%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff))
  local header = b64url('{"alg":"RS256","typ":"JWT","kid":"' .. kid .. '"}')
  return wrk.format("GET", "/protected", { Authorization = "Bearer " .. header .. "." .. rest })
end
EOF
fetches() { # -> "discovery jwks" of the current provider
  "${PROVIDER[@]}" stats "$PROVIDER_PORT" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["discovery"], d["jwks"])'
}
echo "server,flood_seconds,requests,non_2xx,statuses,discovery_before,jwks_before,discovery_after,jwks_after,new_key_accepted_after_s" >"$RESULTS/flood.csv"
if [ "$DO_FLOOD" = 1 ]; then
  for name in "${SERVERS[@]}"; do
    start_provider
    TOKEN=$("${PROVIDER[@]}" token "$ISSUER" "$AUDIENCE" alice@example.com)
    start_server "$name"
    read -r d0 j0 < <(fetches)
    log "$name: unknown-kid flood, ${FLOOD}s at 64 connections"
    raw=$RESULTS/raw/flood-$name.txt
    "${LOAD_CPU[@]}" wrk -t1 -c64 -d"${FLOOD}s" -s "$RESULTS/flood.lua" "http://127.0.0.1:${PORTS[$name]}" \
      -- "${TOKEN#*.}" >"$raw" 2>&1 || die "wrk failed; see $raw"
    read -r d1 j1 < <(fetches)
    statuses=$(for i in 1 2 3; do
      curl -s -o /dev/null -w '%{http_code}\n' -m 5 \
        -H "Authorization: Bearer $("${PROVIDER[@]}" token "$ISSUER" "$AUDIENCE" a@example.com "flood-probe-$i")" \
        "http://127.0.0.1:${PORTS[$name]}/protected"
    done | sort | uniq -c | awk '{printf "%s%s x%s", sep, $2, $1; sep=" "}')
    # A key published right after the flood: how long until it is accepted?
    "${PROVIDER[@]}" publish "$PROVIDER_PORT" bench-2 >/dev/null
    fresh=$("${PROVIDER[@]}" token "$ISSUER" "$AUDIENCE" alice@example.com bench-2)
    start=$(date +%s.%N) accepted=""
    while python3 -c "import sys,time; sys.exit(time.time() - $start > $PROBE)"; do
      if [ "$(status_of "${PORTS[$name]}" "$fresh")" = 200 ]; then
        accepted=$(python3 -c "import time; print(f'{time.time() - $start:.1f}')")
        break
      fi
      sleep 0.1
    done
    read -r d2 j2 < <(fetches)
    python3 - "$raw" "$name" "$FLOOD" "$statuses" "$d0" "$j0" "$d1" "$j1" "${accepted:->$PROBE}" >>"$RESULTS/flood.csv" <<'EOF'
import re, sys
raw, name, secs, statuses, d0, j0, d1, j1, accepted = sys.argv[1:]
text = open(raw).read()
requests = int(re.search(r"(\d+) requests in", text).group(1))
non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
print(",".join([name, secs, str(requests), non2xx.group(1) if non2xx else "0", statuses, d0, j0, d1, j1, accepted]))
EOF
    echo "$name: fetches after the new-key probe: discovery $d2, jwks $j2" >>"$RESULTS/machine.txt"
    stop_server "$name"
  done
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/machine.txt"

# --- summary -----------------------------------------------------------------
python3 - "$RESULTS" >"$RESULTS/summary.md" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
results = sys.argv[1]
print(open(f"{results}/machine.txt").read())
runs = defaultdict(list)
for r in csv.DictReader(open(f"{results}/results.csv")):
    runs[(int(r["connections"]), r["server"])].append(r)
def med(key, field):
    return statistics.median(float(r[field]) for r in runs[key])
if runs:
    print("| conns | server | req/s | min–max | ×authorizer | CPU/req µs | ×authorizer | p50 ms | p99 ms | server cores | non-2xx |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for conns in sorted({k[0] for k in runs}):
        base = (conns, "authorizer")
        for server in ["ours", "authorizer"]:
            key = (conns, server)
            if key not in runs:
                continue
            vals = [float(r["requests_per_sec"]) for r in runs[key]]
            bad = sum(int(r["non_2xx"]) + int(r["socket_errors"]) for r in runs[key])
            print(f"| {conns} | {server} | {statistics.median(vals):,.0f} | {min(vals):,.0f}–{max(vals):,.0f} | "
                  f"{med(key, 'requests_per_sec') / med(base, 'requests_per_sec'):.3f} | "
                  f"{med(key, 'server_cpu_us_per_req'):.1f} | "
                  f"{med(key, 'server_cpu_us_per_req') / med(base, 'server_cpu_us_per_req'):.3f} | "
                  f"{med(key, 'p50_ms'):.2f} | {med(key, 'p99_ms'):.2f} | {med(key, 'server_cores'):.2f} | {bad} |")
    print()
flood = list(csv.DictReader(open(f"{results}/flood.csv")))
if flood:
    print("| server | flood | requests | answers | later unknown kids | fetches caused (discovery / JWKS) | new key accepted after |")
    print("|---|---:|---:|---|---|---:|---:|")
    for r in flood:
        print(f"| {r['server']} | {r['flood_seconds']} s | {int(r['requests']):,} | {r['non_2xx']} non-2xx | {r['statuses']} | "
              f"{int(r['discovery_after']) - int(r['discovery_before'])} / {int(r['jwks_after']) - int(r['jwks_before'])} | "
              f"{r['new_key_accepted_after_s']} s |")
EOF
cat "$RESULTS/summary.md"
log "results in $RESULTS"

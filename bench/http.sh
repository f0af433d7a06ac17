#!/usr/bin/env bash
# HTTP load benchmark (BENCHMARKS.md): wrk against
#
#   ours          examples/quickstart (jwt-extended, as shipped)
#   baseline      bench/baseline (hand-written axum + jsonwebtoken)
#   python        interop/reference_apps/quickstart.py on Flask-JWT-Extended 4.7.1
#                 under gunicorn (2 gthread workers x 4 threads, see below)
#   ours-bare     bench/server, no blocklist (quickstart without its Flask wrapper)
#   ours-memory   bench/server with MemoryBlocklist (1000 revoked entries)
#   ours-redis    bench/server with RedisBlocklist (1000 revoked entries), Redis
#                 from scripts/services.sh
#   ours-redis-sessions
#                 bench/server with RedisBlocklist as the session store: each
#                 check also reads the identity's log-out-everywhere cut-off
#   ours-memory-ct, ours-redis-ct
#                 the same two on tokio's current-thread runtime (the others
#                 run on #[tokio::main]'s multi-threaded one; see BENCHMARKS.md)
#
# on GET /protected with a valid bearer token (all six) and POST /login (token
# creation: ours, baseline, python), at 64 and 256 connections. Rounds are
# interleaved (every cell once per round) so that drift in machine load hits
# every server alike; the summary gives medians and min-max. Each server's
# peak RSS (VmHWM) is read at the end.
#
# Pinning (2+ cores): servers, gunicorn workers and Redis on CPU 0, wrk on
# CPU 1. So each server has one core, and tokio sizes its runtime to it.
# gunicorn: the GIL keeps a worker process on one core, so 1-2 workers fill
# the one core; 2 workers let one run while the other waits on a socket, and
# gthread workers keep connections alive like the Rust servers do (sync
# workers close every connection, which wrk then measures).
#
# usage: bench/http.sh [--smoke] [--rounds N] [--duration SECONDS]
#                      [--connections "64 256"] [--only REGEX] [--profile release|dev]
#                      [--extra NAME=BINARY]... [--redis-cpu N|any]
#
#   --smoke      one 1-second round of every cell with a dev build: CI checks
#                that the script runs (well under 2 minutes once built).
#   --extra      one more quickstart-like server (PORT, POST /login,
#                GET /protected), e.g. a saved build before a change, measured
#                in the same rounds: cells protected/NAME and login/NAME. A NAME
#                ending in -redis or -memory is a saved bench/server build run
#                with that blocklist (BENCH_BLOCKLIST), /protected only.
#   --redis-cpu  where Redis runs (default 0: with the servers).
#
# Results: bench/results/http-<time>/ (raw wrk output, results.csv,
# summary.md); the summary is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

ROUNDS=5
DURATION=10
WARMUP=2
CONNECTIONS="64 256"
ONLY=""
PROFILE=release
SMOKE=0
EXTRA=()
REDIS_CPU=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) SMOKE=1 ROUNDS=1 DURATION=1 WARMUP=0 PROFILE=dev ;;
    --rounds) ROUNDS=$2; shift ;;
    --duration) DURATION=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --only) ONLY=$2; shift ;;
    --profile) PROFILE=$2; shift ;;
    --extra) EXTRA+=("$2"); shift ;;
    --redis-cpu) REDIS_CPU=$2; shift ;;
    -h | --help) sed -n '2,42p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
  shift
done

log() { echo "[http.sh $(date +%H:%M:%S)] $*" >&2; }
die() { log "error: $*"; exit 1; }

# --- tools -------------------------------------------------------------------
if ! command -v wrk >/dev/null; then
  log "installing wrk (Debian)"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null ||
    { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends wrk >/dev/null; }
fi
command -v wrk >/dev/null || die "wrk is required"
if ! python3 -c 'import flask_jwt_extended, gunicorn' >/dev/null 2>&1 ||
  [ "$(python3 -c 'import flask_jwt_extended; print(flask_jwt_extended.__version__)')" != "4.7.1" ]; then
  log "installing flask-jwt-extended==4.7.1 and gunicorn (PyPI)"
  python3 -m pip install -q "flask-jwt-extended==4.7.1" gunicorn >/dev/null
fi
GUNICORN=(python3 -m gunicorn)

if [ "$(nproc)" -ge 2 ]; then
  SERVER_CPU=(taskset -c 0)
  LOAD_CPU=(taskset -c 1)
  PINNING="servers on CPU 0, wrk on CPU 1"
else
  SERVER_CPU=()
  LOAD_CPU=()
  PINNING="none (one CPU)"
fi

# --- build -------------------------------------------------------------------
log "building ($PROFILE): examples/quickstart, bench/baseline, bench/server"
cargo_profile=(--profile "$PROFILE")
nice -n 10 cargo build -q "${cargo_profile[@]}" -p jwt-extended --example quickstart
nice -n 10 cargo build -q "${cargo_profile[@]}" -p baseline -p bench-server
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
out_dir=$target_dir/$([ "$PROFILE" = dev ] && echo debug || echo "$PROFILE")
QUICKSTART=$out_dir/examples/quickstart
BASELINE=$out_dir/baseline
BENCH_SERVER=$out_dir/bench-server
for bin in "$QUICKSTART" "$BASELINE" "$BENCH_SERVER"; do
  [ -x "$bin" ] || die "missing $bin"
done

# --- results and clean-up ----------------------------------------------------
RESULTS=$ROOT/bench/results/http-$(date -u +%Y%m%dT%H%M%SZ)$([ $SMOKE = 1 ] && echo -smoke || true)
mkdir -p "$RESULTS/raw" "$RESULTS/logs"
declare -A PID PORTS
SERVICES_DIR=""
cleanup() {
  local pid
  for pid in "${PID[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PID[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  [ -n "$SERVICES_DIR" ] && scripts/services.sh stop "$SERVICES_DIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

SECRET=super-secret-dev-key
LOGIN_BODY='{"username": "testuser", "password": "testpass"}'

login_token() { # port -> access token
  curl -sf -m 5 -X POST "http://127.0.0.1:$1/login" -H 'Content-Type: application/json' \
    -d "$LOGIN_BODY" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

wait_ready() { # name
  local name=$1 i
  for i in $(seq 1 100); do
    if login_token "${PORTS[$name]}" >/dev/null 2>&1; then return 0; fi
    kill -0 "${PID[$name]}" 2>/dev/null || die "$name exited; see $RESULTS/logs/$name.log"
    sleep 0.1
  done
  die "$name did not answer on port ${PORTS[$name]}"
}

start() { # name port command...
  local name=$1
  PORTS[$name]=$2
  shift 2
  PORT=${PORTS[$name]} JWT_SECRET_KEY=$SECRET RUST_LOG=warn \
    "${SERVER_CPU[@]}" "$@" >"$RESULTS/logs/$name.log" 2>&1 &
  PID[$name]=$!
  wait_ready "$name"
  log "$name: pid ${PID[$name]}, port ${PORTS[$name]}"
}

# --- servers -----------------------------------------------------------------
log "starting Redis (scripts/services.sh)"
services_env=$(scripts/services.sh start) || die "scripts/services.sh start failed"
eval "$services_env"
SERVICES_DIR=$JWT_EXT_SERVICES_DIR
if [ ${#SERVER_CPU[@]} -gt 0 ] && [ "$REDIS_CPU" != any ]; then
  taskset -pc "$REDIS_CPU" "$(cat "$SERVICES_DIR/redis.pid")" >/dev/null
fi

start ours "$(free_port)" "$QUICKSTART"
start baseline "$(free_port)" "$BASELINE"
port=$(free_port)
start python "$port" "${GUNICORN[@]}" --chdir "$ROOT/interop/reference_apps" --workers 2 \
  --worker-class gthread --threads 4 --bind "127.0.0.1:$port" --log-level warning quickstart:app
BENCH_BLOCKLIST=none start ours-bare "$(free_port)" "$BENCH_SERVER"
BENCH_BLOCKLIST=memory start ours-memory "$(free_port)" "$BENCH_SERVER"
REDIS_URL=$REDIS_URL BENCH_BLOCKLIST=redis start ours-redis "$(free_port)" "$BENCH_SERVER"
REDIS_URL=$REDIS_URL BENCH_BLOCKLIST=redis-sessions start ours-redis-sessions "$(free_port)" "$BENCH_SERVER"
BENCH_RUNTIME=current_thread BENCH_BLOCKLIST=memory start ours-memory-ct "$(free_port)" "$BENCH_SERVER"
BENCH_RUNTIME=current_thread REDIS_URL=$REDIS_URL BENCH_BLOCKLIST=redis start ours-redis-ct "$(free_port)" "$BENCH_SERVER"

cat >"$RESULTS/login.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '$LOGIN_BODY'
EOF

CELLS=(protected/ours protected/baseline protected/python protected/ours-bare
  protected/ours-memory protected/ours-redis protected/ours-redis-sessions
  protected/ours-memory-ct protected/ours-redis-ct
  login/ours login/baseline login/python)
for extra in "${EXTRA[@]}"; do
  name=${extra%%=*}
  [ -x "${extra#*=}" ] || die "--extra $extra: not an executable"
  case $name in
    # A saved bench/server build with a blocklist: /protected only.
    *-redis) BENCH_BLOCKLIST=redis start "$name" "$(free_port)" "$(realpath "${extra#*=}")"
      CELLS+=("protected/$name") ;;
    *-memory) BENCH_BLOCKLIST=memory start "$name" "$(free_port)" "$(realpath "${extra#*=}")"
      CELLS+=("protected/$name") ;;
    *) start "$name" "$(free_port)" "$(realpath "${extra#*=}")"
      CELLS+=("protected/$name" "login/$name") ;;
  esac
done
if [ -n "$ONLY" ]; then
  selected=()
  for cell in "${CELLS[@]}"; do [[ $cell =~ $ONLY ]] && selected+=("$cell"); done
  CELLS=("${selected[@]}")
fi
[ ${#CELLS[@]} -gt 0 ] || die "--only matched no cell"

server_pids() { # name -> the server's processes (gunicorn: master and workers)
  local pid=${PID[$1]}
  echo "$pid"
  pgrep -P "$pid" 2>/dev/null || true
}

cpu_ticks() { # pid... -> utime+stime of these processes, in clock ticks
  local total=0 pid fields
  for pid in "$@"; do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    set -- $fields
    total=$((total + ${12} + ${13}))
  done
  echo "$total"
}

run_wrk() { # cell connections seconds output-file [cpu-file]
  local cell=$1 conns=$2 secs=$3 out=$4 cpu=${5:-/dev/null} route=${1%%/*} name=${1#*/} port args
  port=${PORTS[$name]}
  if [ "$route" = protected ]; then
    # A fresh token for every run: tokens live 15 minutes, a full run is longer.
    args=(-H "Authorization: Bearer $(login_token "$port")" "http://127.0.0.1:$port/protected")
  else
    args=(-s "$RESULTS/login.lua" "http://127.0.0.1:$port/login")
  fi
  # `time` reports wrk's own CPU seconds: is the load generator the limit?
  local TIMEFORMAT='%U %S'
  { time "${LOAD_CPU[@]}" wrk -t1 -c"$conns" -d"${secs}s" --latency "${args[@]}" >"$out" 2>&1; } 2>"$cpu"
}

REDIS_PID=$(cat "$SERVICES_DIR/redis.pid")
echo "cell,route,server,connections,round,requests_per_sec,requests,p50_ms,p99_ms,non_2xx,socket_errors,server_cores,server_cpu_us_per_req,redis_cpu_us_per_req,wrk_cores" >"$RESULTS/results.csv"
{
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$(git diff --quiet HEAD -- src examples bench 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "cpu: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1), $(nproc) cores"
  echo "kernel: $(uname -r)"
  echo "rustc: $(rustc --version)"
  echo "python: $(python3 --version 2>&1), Flask-JWT-Extended $(python3 -c 'import flask_jwt_extended; print(flask_jwt_extended.__version__)'), gunicorn $(python3 -c 'import gunicorn; print(gunicorn.__version__)')"
  echo "wrk: $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
  echo "profile: $PROFILE; rounds: $ROUNDS x ${DURATION}s (warm-up ${WARMUP}s); connections: $CONNECTIONS; pinning: $PINNING (Redis: CPU $REDIS_CPU)"
  for extra in "${EXTRA[@]}"; do echo "extra server: $extra"; done
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RESULTS/machine.txt"

if [ "$WARMUP" -gt 0 ]; then
  log "warm-up: ${WARMUP}s per cell"
  for cell in "${CELLS[@]}"; do
    run_wrk "$cell" 64 "$WARMUP" /dev/null || true
  done
fi

for round in $(seq 1 "$ROUNDS"); do
  log "round $round/$ROUNDS (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  for conns in $CONNECTIONS; do
    for cell in "${CELLS[@]}"; do
      name=${cell#*/}
      raw="$RESULTS/raw/${cell//\//_}-c$conns-r$round.txt"
      pids=$(server_pids "$name")
      before=$(cpu_ticks $pids)
      redis_before=$(cpu_ticks "$REDIS_PID")
      run_wrk "$cell" "$conns" "$DURATION" "$raw" "$raw.cpu" || die "wrk failed for $cell; see $raw"
      after=$(cpu_ticks $pids)
      redis_after=$(cpu_ticks "$REDIS_PID")
      load_ticks=$(python3 -c "import sys; u, s = open(sys.argv[1]).read().split(); print(round((float(u) + float(s)) * int(sys.argv[2])))" "$raw.cpu" "$(getconf CLK_TCK)")
      python3 - "$raw" "$cell" "$conns" "$round" "$((after - before))" "$((redis_after - redis_before))" \
        "$load_ticks" "$DURATION" "$(getconf CLK_TCK)" >>"$RESULTS/results.csv" <<'EOF'
import re, sys
raw, cell, conns, rnd, ticks, redis_ticks, load_ticks, secs, hz = sys.argv[1:]
text = open(raw).read()
def ms(v):
    n, unit = re.match(r"([\d.]+)(us|ms|s)", v).groups()
    return float(n) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
rps = re.search(r"Requests/sec:\s*([\d.]+)", text)
if not rps:
    sys.exit(f"no Requests/sec in {raw}")
p50 = re.search(r"^\s*50%\s+(\S+)", text, re.M)
p99 = re.search(r"^\s*99%\s+(\S+)", text, re.M)
non2xx = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", text)
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
route, server = cell.split("/")
requests = int(re.search(r"(\d+) requests in", text).group(1))
seconds = lambda t: int(t) / int(hz)
print(",".join(map(str, [cell, route, server, conns, rnd, rps.group(1), requests,
    f"{ms(p50.group(1)):.3f}" if p50 else "", f"{ms(p99.group(1)):.3f}" if p99 else "",
    non2xx.group(1) if non2xx else 0, sum(map(int, sock.groups())) if sock else 0,
    f"{seconds(ticks) / float(secs):.3f}", f"{seconds(ticks) * 1e6 / max(requests, 1):.2f}",
    f"{seconds(redis_ticks) * 1e6 / max(requests, 1):.2f}", f"{seconds(load_ticks) / float(secs):.3f}"])))
EOF
    done
  done
done

# Peak RSS: VmHWM of each server process (gunicorn: master + workers, summed).
echo "server,vmhwm_kb,processes" >"$RESULTS/rss.csv"
for name in "${!PID[@]}"; do
  total=0 count=0
  for pid in $(server_pids "$name"); do
    kb=$(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${kb:-0})) count=$((count + 1))
  done
  echo "$name,$total,$count" >>"$RESULTS/rss.csv"
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$RESULTS/machine.txt"

python3 - "$RESULTS" >"$RESULTS/summary.md" <<'EOF'
import csv, statistics, sys
from collections import defaultdict
results = sys.argv[1]
rows = list(csv.DictReader(open(f"{results}/results.csv")))
rss = {r["server"]: (int(r["vmhwm_kb"]), int(r["processes"])) for r in csv.DictReader(open(f"{results}/rss.csv"))}
runs = defaultdict(list)
for r in rows:
    runs[(r["route"], int(r["connections"]), r["server"])].append(r)
def med(key, field):
    return statistics.median(float(r[field]) for r in runs[key]) if key in runs else None
def ratio(a, b, digits=3):
    return f"{a / b:.{digits}f}" if a and b else "–"
print(open(f"{results}/machine.txt").read())
print("Throughput: median requests/s over the rounds (min–max); ×: ratio of medians.")
print("CPU/req: the server's CPU time (all its threads and processes) per request, µs.")
print("Cores: the server's and wrk's CPU use during the run (1.00 = one core busy).")
print()
print("| route | conns | server | req/s | min–max | ×baseline | ×python | CPU/req µs | ×baseline | p50 ms | p99 ms | server cores | wrk cores | peak RSS MB |")
print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
order = ["ours", "baseline", "python", "ours-bare", "ours-memory", "ours-redis",
         "ours-redis-sessions", "ours-memory-ct", "ours-redis-ct"]
order += sorted({k[2] for k in runs} - set(order))
problems = []
for route in ["protected", "login"]:
    for conns in sorted({k[1] for k in runs}):
        base = (route, conns, "baseline")
        py = (route, conns, "python")
        for server in order:
            key = (route, conns, server)
            if key not in runs:
                continue
            vals = [float(r["requests_per_sec"]) for r in runs[key]]
            m = statistics.median(vals)
            bad = sum(int(r["non_2xx"]) + int(r["socket_errors"]) for r in runs[key])
            if bad:
                problems.append(f"{route}/{server} at {conns} connections: {bad} non-2xx responses or socket errors")
            kb, procs = rss.get(server, (0, 1))
            mb = f"{kb / 1024:.1f}" + (f" ({procs} proc.)" if procs > 1 else "")
            cpu = med(key, "server_cpu_us_per_req")
            print(f"| {route} | {conns} | {server} | {m:,.0f} | {min(vals):,.0f}–{max(vals):,.0f} | "
                  f"{ratio(m, med(base, 'requests_per_sec'))} | {ratio(m, med(py, 'requests_per_sec'), 1)} | "
                  f"{cpu:.1f} | {ratio(cpu, med(base, 'server_cpu_us_per_req'))} | "
                  f"{med(key, 'p50_ms'):.2f} | {med(key, 'p99_ms'):.2f} | "
                  f"{med(key, 'server_cores'):.2f} | {med(key, 'wrk_cores'):.2f} | {mb} |")
print()
for conns, suffix in [(c, s) for s in ["", "-ct"] for c in sorted({k[1] for k in runs})]:
    mem = ("protected", conns, "ours-memory" + suffix)
    red = ("protected", conns, "ours-redis" + suffix)
    runtime = "current-thread runtime" if suffix else "multi-thread runtime"
    if mem in runs and red in runs:
        t = med(red, "requests_per_sec") / med(mem, "requests_per_sec")
        c_app = med(red, "server_cpu_us_per_req") / med(mem, "server_cpu_us_per_req")
        c_all = (med(red, "server_cpu_us_per_req") + med(red, "redis_cpu_us_per_req")) / med(mem, "server_cpu_us_per_req")
        print(f"- Redis blocklist vs in-memory, {runtime}, {conns} connections: throughput {t:.3f}× "
              f"({(1 - t) * 100:.1f}% less); app CPU per request {c_app:.2f}×, app + Redis {c_all:.2f}× "
              f"(Redis: {med(red, 'redis_cpu_us_per_req'):.1f} µs/req)")
    ses = ("protected", conns, "ours-redis-sessions")
    if not suffix and red in runs and ses in runs:
        t = med(ses, "requests_per_sec") / med(red, "requests_per_sec")
        c_app = med(ses, "server_cpu_us_per_req") / med(red, "server_cpu_us_per_req")
        print(f"- Redis as session store (log-out-everywhere cut-off in the same pipeline) vs blocklist alone, "
              f"{conns} connections: throughput {t:.3f}× ({(1 - t) * 100:.1f}% less); app CPU per request {c_app:.2f}×")
for p in problems:
    print(f"- WARNING: {p}")
EOF
cat "$RESULTS/summary.md"
log "results in $RESULTS"
grep -q WARNING "$RESULTS/summary.md" && die "some requests failed (see the warnings above)"
exit 0

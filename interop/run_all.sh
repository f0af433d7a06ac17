#!/usr/bin/env bash
# Run difftest.py for every example that has both a Python reference app and a
# built Rust example binary: NAME (axum) and actix_NAME (actix-web), each
# against the reference app NAME.
#
#   interop/run_all.sh [BIN_DIR] [-- extra difftest options]
#   interop/run_all.sh --self-check [-- extra difftest options]
#
# BIN_DIR defaults to target/release/examples (build first with
# `cargo build --release --examples`).  --self-check plays every scenario with
# the Python app on both sides (the harness must pass 100% against itself).
# blocklist_redis gets a throwaway redis-server on a free port, oidc a local
# OpenID provider (interop/oidc_provider.py); both are stopped at exit.
# Exit status: 0 if every example matched, 1 otherwise (also when nothing ran).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
apps="$here/reference_apps"
py=${PYTHON:-python3}

self_check=0
bin_dir=target/release/examples
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --self-check) self_check=1 ;;
    --) shift; extra=("$@"); break ;;
    -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) bin_dir=$1 ;;
  esac
  shift
done

tmp=$(mktemp -d -t difftest-all.XXXXXX)
redis_pidfile="$tmp/redis.pid"
oidc_pid=""
cleanup() {
  if [ -s "$redis_pidfile" ]; then
    kill "$(cat "$redis_pidfile")" 2>/dev/null
  fi
  [ -n "$oidc_pid" ] && kill "$oidc_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

start_redis() {
  command -v redis-server >/dev/null || { echo "redis-server is not installed" >&2; return 1; }
  local port
  port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$redis_pidfile" --logfile "$tmp/redis.log" >/dev/null || return 1
  for _ in $(seq 50); do
    if "$py" -c "import socket,sys; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null; then
      echo "redis://127.0.0.1:$port/0"; return 0
    fi
    sleep 0.1
  done
  echo "redis-server did not come up on port $port" >&2
  return 1
}

# Starts a local OpenID provider in the background (in this shell, so that
# its pid is kept for stop_oidc) and sets oidc_issuer to its issuer URL.
start_oidc() {
  "$py" "$here/oidc_provider.py" --port 0 --port-file "$tmp/oidc.port" \
    >/dev/null 2>"$tmp/oidc.log" &
  oidc_pid=$!
  for _ in $(seq 100); do
    if [ -s "$tmp/oidc.port" ]; then
      oidc_issuer="http://127.0.0.1:$(cat "$tmp/oidc.port")/realms/master"; return 0
    fi
    kill -0 "$oidc_pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "oidc_provider.py did not start: $(tail -3 "$tmp/oidc.log")" >&2
  return 1
}

stop_oidc() {
  if [ -n "$oidc_pid" ]; then
    kill "$oidc_pid" 2>/dev/null
    wait "$oidc_pid" 2>/dev/null
    oidc_pid=""
  fi
}

stop_redis() {
  if [ -s "$redis_pidfile" ]; then
    kill "$(cat "$redis_pidfile")" 2>/dev/null
    rm -f "$redis_pidfile"
  fi
}

ran=0; failed=(); skipped=()
for app in "$apps"/*.py; do
  name=$(basename "$app" .py)
  case "$name" in _*) continue ;; esac
  # The axum example NAME, then the actix-web example actix_NAME if built.
  for port_name in "$name" "actix_$name"; do
    self_flag=()
    if [ "$self_check" = 1 ]; then
      [ "$port_name" = "$name" ] || continue
      cmd="$(printf '%q %q' "$py" "$app")"
      self_flag=(--self-check)
    else
      bin="$bin_dir/$port_name"
      if [ ! -x "$bin" ] || [ -d "$bin" ]; then skipped+=("$port_name"); continue; fi
      cmd="$(printf '%q' "$(cd "$(dirname "$bin")" && pwd)/$port_name")"
    fi
    env_args=()
    if [ "$name" = blocklist_redis ]; then
      if ! url=$(start_redis); then failed+=("$port_name (redis)"); continue; fi
      env_args=(env "REDIS_URL=$url")
    fi
    if [ "$name" = oidc ]; then
      rm -f "$tmp/oidc.port"
      if ! start_oidc; then stop_oidc; failed+=("$port_name (oidc provider)"); continue; fi
      env_args=(env "OIDC_ISSUER_URL=$oidc_issuer")
    fi
    echo "=== $port_name"
    if "${env_args[@]}" "$py" "$here/difftest.py" "$name" --rust-cmd "$cmd" \
        "${self_flag[@]}" "${extra[@]}"; then
      :
    else
      failed+=("$port_name")
    fi
    ran=$((ran + 1))
    [ "$name" = blocklist_redis ] && stop_redis
    [ "$name" = oidc ] && stop_oidc
  done
done

echo
echo "run_all: $ran example(s) compared, ${#failed[@]} failed${failed:+: ${failed[*]}}"
[ ${#skipped[@]} -gt 0 ] && echo "run_all: no Rust binary in $bin_dir for: ${skipped[*]}"
if [ "$ran" = 0 ]; then
  echo "run_all: nothing was compared (build with: cargo build --release --examples)" >&2
  exit 1
fi
[ ${#failed[@]} -eq 0 ]

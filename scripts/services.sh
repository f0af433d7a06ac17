#!/usr/bin/env bash
# Starts throwaway Redis and PostgreSQL servers on free local ports, in a
# temporary directory, and prints the environment to use them:
#
#   eval "$(scripts/services.sh start)"    # exports REDIS_URL, DATABASE_URL, ...
#   scripts/services.sh stop "$JWT_EXT_SERVICES_DIR"
#
# Needs redis-server and PostgreSQL binaries (scripts/install-deps.sh).
set -euo pipefail

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    if [ -x "$dir/pg_ctl" ]; then echo "$dir"; return 0; fi
  done
  dirname "$(command -v pg_ctl)"
}

start() {
  local dir redis_port pg_port bin
  dir=$(mktemp -d /tmp/jwt-ext-services.XXXXXX)
  chmod 755 "$dir"
  redis_port=$(free_port)
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no \
    --daemonize yes --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null
  bin=$(pg_bin)
  pg_port=$(free_port)
  mkdir -p "$dir/pg"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir/pg"
    RUN=(runuser -u postgres --)
  else
    RUN=()
  fi
  "${RUN[@]}" "$bin/initdb" -D "$dir/pg/data" --auth=trust -U postgres >"$dir/pg/initdb.log" 2>&1
  "${RUN[@]}" "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w \
    -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
  for _ in $(seq 1 50); do
    redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
  echo "export JWT_EXT_SERVICES_DIR=$dir"
  echo "export REDIS_PORT=$redis_port"
  echo "export REDIS_URL=redis://127.0.0.1:$redis_port/0"
  echo "export PG_PORT=$pg_port"
  echo "export PG_BIN=$bin"
  echo "export DATABASE_URL=postgres://postgres@127.0.0.1:$pg_port/postgres"
}

stop() {
  local dir=${1:-${JWT_EXT_SERVICES_DIR:-}}
  [ -n "$dir" ] && [ -d "$dir" ] || return 0
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  if [ -d "$dir/pg/data" ]; then
    local bin; bin=$(pg_bin)
    if [ "$(id -u)" = 0 ]; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    else
      "$bin/pg_ctl" -D "$dir/pg/data" -m immediate stop >/dev/null 2>&1 || true
    fi
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) shift; stop "$@" ;;
  *) echo "usage: $0 start | stop [dir]" >&2; exit 2 ;;
esac

#!/usr/bin/env bash
# Installs what the tests need on a fresh Debian machine, skipping what is
# already there: Redis, PostgreSQL, Chromium + ChromeDriver (browser test),
# wrk (load scripts), and the Python reference library (interop tests).
set -euo pipefail

need=()
command -v redis-server >/dev/null || need+=(redis-server)
command -v redis-cli >/dev/null || need+=(redis-tools)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null || need+=(chromium)
command -v chromedriver >/dev/null || need+=(chromium-driver)
command -v wrk >/dev/null || need+=(wrk)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian's postgresql package starts a cluster on 5432; the tests use their
# own throwaway servers and do not need it.

if ! python3 -c 'import flask_jwt_extended, redis, jwt, gunicorn, flask_restful' >/dev/null 2>&1 \
   || [ "$(python3 -c 'import flask_jwt_extended; print(flask_jwt_extended.__version__)' 2>/dev/null)" != "4.7.1" ]; then
  echo "installing: flask-jwt-extended==4.7.1 redis flask-restful (PyPI)" >&2
  python3 -m pip install -q "flask-jwt-extended==4.7.1" redis cryptography gunicorn flask-restful >/dev/null
fi

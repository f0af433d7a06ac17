#!/usr/bin/env bash
# The project's one test command (what CI runs):
#   - installs what is missing (Redis, PostgreSQL, Chromium, wrk, the Python reference),
#   - starts throwaway Redis and PostgreSQL servers on free ports,
#   - runs fmt, clippy, every test (unit, integration, stores, browser, doc tests),
#     the docs build, the publishing checks (every feature alone, the MSRV
#     toolchain, cargo package), the benchmark build, the example-by-example comparison
#     with the Python reference (interop/run_all.sh) and a smoke round of the
#     HTTP benchmark (bench/http.sh --smoke),
#   - stops the servers.
# Options: --quick skips the interop comparison and the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
[ "${1:-}" = "--quick" ] && quick=1

step() { printf '\n==> %s\n' "$*"; }

step "installing missing system and Python dependencies"
scripts/install-deps.sh

step "starting Redis and PostgreSQL"
eval "$(scripts/services.sh start)"
trap 'scripts/services.sh stop "$JWT_EXT_SERVICES_DIR"' EXIT
echo "REDIS_URL=$REDIS_URL DATABASE_URL=$DATABASE_URL"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (all targets, all features, warnings denied)"
cargo clippy --all-targets --all-features -- -D warnings

# `cargo test` builds every example before it runs any test; the browser test
# and the interop comparison use those (debug) binaries.
export JWT_EXT_EXAMPLES_DIR="$PWD/target/debug/examples"

step "cargo test (all features, against the real servers)"
if [ "$quick" = 1 ]; then
  cargo test --all-features -- --skip browser
else
  cargo test --all-features
fi

step "core without axum, pure-Rust crypto backend"
cargo test --no-default-features --features rust-crypto --lib

step "docs (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --no-deps --all-features

step "every feature builds alone (scripts/check-features.sh)"
scripts/check-features.sh

step "MSRV: the declared rust-version's toolchain builds the library (scripts/check-msrv.sh)"
scripts/check-msrv.sh

step "cargo package: the published crate builds from its own files (scripts/check-package.sh)"
scripts/check-package.sh

step "benchmarks build (dev profile: checks they build without a second optimised build)"
cargo bench --no-run --profile dev

if [ "$quick" = 0 ]; then
  step "examples against the Python reference, request by request"
  interop/run_all.sh "$JWT_EXT_EXAMPLES_DIR"

  step "the sessions example end to end (memory; then two instances sharing Redis)"
  python3 interop/sessions_check.py --bin "$JWT_EXT_EXAMPLES_DIR/sessions"
  python3 interop/sessions_check.py --bin "$JWT_EXT_EXAMPLES_DIR/sessions" --redis "$REDIS_URL"

  step "HTTP load benchmark, smoke round (checks the script runs; no timing is asserted)"
  bench/http.sh --smoke
fi

step "all checks passed"

#!/usr/bin/env bash
# Runs the cargo-fuzz targets in fuzz/ one after the other, each for a set time.
#
#   scripts/fuzz.sh                  every target, 60 s each
#   scripts/fuzz.sh -t 600 decode_token cookies_csrf
#   FUZZ_SECONDS=10 scripts/fuzz.sh  (same as -t 10)
#
# Targets: auth_header, decode_token, cookies_csrf, config_env (fuzz/Cargo.toml).
#
# The committed seeds in fuzz/corpus/<target>/ are read, never written: inputs
# the fuzzer finds go to fuzz/target/corpus/<target>/ (ignored by git, kept
# between runs). A crash or hang stops the run and leaves the input in
# fuzz/artifacts/<target>/; reproduce it with
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> artifacts/<target>/<file>
# then turn it into a regression test in the crate (see SECURITY.md).
#
# Installs cargo-fuzz if it is missing. The machine has only the
# stable toolchain; cargo-fuzz needs nightly flags (-Zsanitizer), which
# RUSTC_BOOTSTRAP=1 unlocks on stable. The fuzzers run under `nice`.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"

seconds=${FUZZ_SECONDS:-60}
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    -t|--time) seconds=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) targets+=("$1"); shift ;;
  esac
done
if [ ${#targets[@]} -eq 0 ]; then
  targets=(auth_header decode_token cookies_csrf config_env)
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "==> installing cargo-fuzz (cargo install cargo-fuzz --locked)"
  nice -n 10 cargo install cargo-fuzz --locked
fi

export RUSTC_BOOTSTRAP=1
echo "==> building the fuzz targets"
mkdir -p target
if ! nice -n 10 cargo fuzz build >target/fuzz-build.log 2>&1; then
  tail -30 target/fuzz-build.log >&2
  exit 1
fi

status=0
for target in "${targets[@]}"; do
  work="target/corpus/$target"
  mkdir -p "$work" "artifacts/$target"
  log="target/fuzz-$target.log"
  echo "==> $target for ${seconds}s (log: fuzz/$log)"
  if nice -n 10 cargo fuzz run "$target" "$work" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo '?')
    speed=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    echo "    ok: $runs executions (${speed}/s), coverage $cov edges, corpus $(ls "$work" | wc -l) inputs"
  else
    status=1
    echo "    FAILED: see fuzz/$log and fuzz/artifacts/$target/" >&2
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY' "$log" | head -5 >&2 || true
  fi
done
exit $status

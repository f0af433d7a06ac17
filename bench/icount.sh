#!/usr/bin/env bash
# Instructions per operation, ours vs the hand-written jsonwebtoken baseline,
# counted with valgrind's callgrind: repeatable whatever else the machine is
# doing (wall-clock micro-benchmarks are in `cargo bench --bench jwt`).
#
#   bench/icount.sh                      # every operation and algorithm
#   bench/icount.sh decode HS256         # some operations / algorithms
#   ICOUNT_N1=20 ICOUNT_N2=220 bench/icount.sh
#   ICOUNT_BIN=path/to/icount bench/icount.sh   # a saved build (before/after)
#
# Each cell runs benches/icount.rs twice, with N1 and N2 iterations, and
# reports (count(N2) - count(N1)) / (N2 - N1): set-up cancels out. Writes
# bench/results/icount-<time>.md and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

N1=${ICOUNT_N1:-10}
N2=${ICOUNT_N2:-60}
OPERATIONS=(create decode router_header router_cookie_csrf router_blocklist)
ALGORITHMS=(HS256 RS256 ES256 EdDSA)
selected_ops=()
selected_algs=()
for arg in "$@"; do
  case "$arg" in
    HS256 | RS256 | ES256 | EdDSA) selected_algs+=("$arg") ;;
    *) selected_ops+=("$arg") ;;
  esac
done
[ ${#selected_ops[@]} -gt 0 ] && OPERATIONS=("${selected_ops[@]}")
[ ${#selected_algs[@]} -gt 0 ] && ALGORITHMS=("${selected_algs[@]}")

command -v valgrind >/dev/null || { echo "valgrind is required (apt-get install valgrind)" >&2; exit 1; }

# Build, and find the executable cargo made (or use $ICOUNT_BIN).
bin=${ICOUNT_BIN:-}
[ -n "$bin" ] || bin=$(nice -n 10 cargo bench --bench icount --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "icount" and m.get("executable"):
        print(m["executable"])')
[ -x "$bin" ] || { echo "could not build benches/icount.rs" >&2; exit 1; }

count() { # op alg side iterations -> instructions
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" "$@" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}

per_op() { # op alg side
  local a b
  a=$(count "$1" "$2" "$3" "$N1")
  b=$(count "$1" "$2" "$3" "$N2")
  echo $(((b - a) / (N2 - N1)))
}

mkdir -p bench/results
out=bench/results/icount-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "Instructions per operation (callgrind; ($N2 - $N1) iterations; ${ICOUNT_BIN:-$(git rev-parse --short HEAD 2>/dev/null || echo '?')})"
  echo
  echo "| operation | alg | ours | jsonwebtoken | ours/jsonwebtoken |"
  echo "|---|---|---:|---:|---:|"
} >"$out"
for op in "${OPERATIONS[@]}"; do
  for alg in "${ALGORITHMS[@]}"; do
    ours=$(per_op "$op" "$alg" ours)
    base=$(per_op "$op" "$alg" baseline)
    ratio=$(python3 -c "print(f'{$ours / $base:.3f}')")
    echo "| $op | $alg | $ours | $base | $ratio |" >>"$out"
  done
done
cat "$out"
echo "(written to $out)"

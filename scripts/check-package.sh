#!/usr/bin/env bash
# The crate can be published: `cargo package` builds the .crate file and
# verifies it (unpacks it and builds the library from it, default features),
# as `cargo publish --dry-run` would without talking to crates.io.
#
# Also checks that the package holds what a user needs (library sources,
# README, CHANGELOG, both licence files) and nothing of the repository's
# tooling, and that cargo warns about nothing but the targets we leave out on
# purpose (tests, examples and benchmarks stay in the repository: they need
# dev-dependencies, fixtures and services). What goes in is Cargo.toml's
# `include` list.
#
# --allow-dirty: this checks the content, it does not publish; CI and local
# runs may have uncommitted changes.
set -euo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT

if ! cargo package -p jwt-extended --allow-dirty --locked >"$log" 2>&1; then
  cat "$log" >&2
  echo "check-package: cargo package failed" >&2
  exit 1
fi
grep -v '^warning: ignoring \(example\|test\|benchmark\) ' "$log" || true
unexpected=$(grep '^warning' "$log" | grep -v '^warning: ignoring \(example\|test\|benchmark\) .* is not included in the published package$' || true)
if [ -n "$unexpected" ]; then
  echo "check-package: unexpected warnings:" >&2
  echo "$unexpected" >&2
  exit 1
fi

files=$(cargo package -p jwt-extended --allow-dirty --locked --list 2>/dev/null)
missing=()
for file in Cargo.toml README.md CHANGELOG.md LICENSE-MIT LICENSE-APACHE src/lib.rs; do
  grep -qx "$file" <<<"$files" || missing+=("$file")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "check-package: missing from the package: ${missing[*]}" >&2
  exit 1
fi
extra=$(grep -E '^(tests|examples|benches|bench|fuzz|interop|scripts|\.ci)/' <<<"$files" || true)
if [ -n "$extra" ]; then
  echo "check-package: repository tooling in the package:" >&2
  echo "$extra" >&2
  exit 1
fi
echo "package: $(wc -l <<<"$files") files: ok"

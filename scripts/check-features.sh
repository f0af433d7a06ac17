#!/usr/bin/env bash
# Every feature builds alone (what `cargo hack check --each-feature` does,
# without installing cargo-hack): the library is checked with
#   - no features at all,
#   - each feature of Cargo.toml by itself (the list is read from
#     `cargo metadata`, so a new feature is covered without editing this file),
#   - the default features,
#   - all features,
# with warnings denied for our crate only (`cargo rustc -- -D warnings`), so an
# item used only under another feature shows up as dead code here.
#
# No feature needs another to build. Without `aws-lc-rs` and `rust-crypto`
# the library builds too: the application then installs a jsonwebtoken
# CryptoProvider itself, or JwtManager::new returns ConfigError::NoCryptoProvider.
#
# Cheap on purpose: `cargo check` mode, the shared target dir
# ($CARGO_TARGET_DIR), dependencies checked once per feature set and reused.
set -euo pipefail
cd "$(dirname "$0")/.."

features=$(cargo metadata --format-version 1 --no-deps --locked | python3 -c '
import json, sys
meta = json.load(sys.stdin)
root = next(p for p in meta["packages"] if p["name"] == "jwt-extended")
print(" ".join(sorted(f for f in root["features"] if f != "default")))
')
echo "features: $features"

check() {
  local label=$1
  shift
  printf '\n--> %s\n' "$label"
  cargo rustc -p jwt-extended --lib --profile check --locked --quiet "$@" -- -D warnings
}

failed=()
check "no features" --no-default-features || failed+=("no features")
for feature in $features; do
  check "only $feature" --no-default-features --features "$feature" || failed+=("$feature")
done
check "default features" || failed+=("default")
check "all features" --all-features || failed+=("all features")

if [ ${#failed[@]} -gt 0 ]; then
  echo "check-features: these builds failed: ${failed[*]}" >&2
  exit 1
fi
echo "every feature builds alone: ok"

#!/usr/bin/env bash
# MSRV check: the library really builds with the Rust version Cargo.toml
# declares (`rust-version`), and no dependency asks for a newer one.
#
#   1. Reads `rust-version` of the jwt-extended package from `cargo metadata`
#      ("1.94" means toolchain 1.94.0, the oldest release of that line).
#   2. Installs that toolchain with rustup if it is missing (minimal profile),
#      and asserts that `rustc +TOOLCHAIN` reports exactly that version, so the
#      check cannot silently run on a newer compiler.
#   3. Walks the library's normal and build dependencies (all features, as
#      resolved from Cargo.lock; dev-dependencies do not reach users) and fails
#      when one declares a `rust-version` newer than ours. Today sqlx 0.9
#      (features sqlite/postgres) declares 1.94.0, which is what sets our floor.
#   4. `cargo +TOOLCHAIN check --lib --all-features --locked`: every feature's
#      code type-checks and every build script (aws-lc-sys's C build included)
#      runs on the declared toolchain.
#
# Choice made (issue 12): rust-version stays 1.94; the 1.94.0 toolchain can be
# installed here, so the check builds with it rather than with stable.
# If rustup cannot install it (no network), the script fails: lower or raise
# rust-version only to a toolchain the check can really build with.
#
# Uses the shared target dir ($CARGO_TARGET_DIR); the old compiler's artifacts
# sit beside stable's without invalidating them. Cold: about 75 s; warm: ~1 s.
set -euo pipefail
cd "$(dirname "$0")/.."

metadata=$(mktemp)
trap 'rm -f "$metadata"' EXIT
cargo metadata --format-version 1 --all-features --locked >"$metadata"

rust_version=$(python3 -c '
import json, sys
meta = json.load(sys.stdin)
root = next(p for p in meta["packages"] if p["name"] == "jwt-extended")
print(root["rust_version"] or "")
' <"$metadata")
if [ -z "$rust_version" ]; then
  echo "check-msrv: Cargo.toml declares no rust-version" >&2
  exit 1
fi
toolchain=$rust_version
[ "$(tr -cd . <<<"$toolchain")" = "." ] && toolchain="$toolchain.0"
echo "declared rust-version: $rust_version (toolchain $toolchain)"

echo "dependencies' rust-version (normal and build, all features):"
python3 - "$rust_version" "$metadata" <<'EOF'
import json, sys

def parse(version):
    parts = [int(p) for p in version.split(".")]
    return tuple(parts + [0] * (3 - len(parts)))

ours = parse(sys.argv[1])
with open(sys.argv[2]) as f:
    meta = json.load(f)
packages = {p["id"]: p for p in meta["packages"]}
nodes = {n["id"]: n for n in meta["resolve"]["nodes"]}
root = next(p["id"] for p in meta["packages"] if p["name"] == "jwt-extended")

seen, todo = set(), [root]
while todo:
    node = nodes[todo.pop()]
    for dep in node["deps"]:
        kinds = {k["kind"] for k in dep["dep_kinds"]}
        if kinds & {None, "build"} and dep["pkg"] not in seen:
            seen.add(dep["pkg"])
            todo.append(dep["pkg"])

declared = sorted(
    ((parse(packages[i]["rust_version"]), packages[i]["name"], packages[i]["version"])
     for i in seen if packages[i].get("rust_version")),
    reverse=True,
)
for version, name, crate_version in declared[:5]:
    print(f"  {name} {crate_version}: {'.'.join(map(str, version))}")
too_new = [d for d in declared if d[0] > ours]
if too_new:
    for version, name, crate_version in too_new:
        print(f"check-msrv: {name} {crate_version} needs Rust {'.'.join(map(str, version))},"
              f" newer than our rust-version {sys.argv[1]}", file=sys.stderr)
    sys.exit(1)
EOF

if ! rustup run "$toolchain" rustc --version >/dev/null 2>&1; then
  echo "installing toolchain $toolchain (rustup, minimal profile)"
  rustup toolchain install "$toolchain" --profile minimal
fi
actual=$(rustup run "$toolchain" rustc --version)
case "$actual" in
  "rustc $toolchain "*) echo "building with: $actual" ;;
  *)
    echo "check-msrv: toolchain $toolchain reports '$actual'" >&2
    exit 1
    ;;
esac

cargo "+$toolchain" check -p jwt-extended --lib --all-features --locked
echo "MSRV $rust_version: ok"

#!/usr/bin/env bash
# `make package`: every function under functions/ built for Lambda (arm64, provided.al2023) as
# target/lambda/<function>/bootstrap.zip, with cargo-lambda (and its zig) from the version pinned
# in requirements-dev.txt, installed into .venv on first use. Checks that each zip holds an
# aarch64 `bootstrap` and prints the sizes. A clean build takes ~4 minutes on two cores.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv_tools cargo-lambda

# `cargo lambda` is found on PATH, and finds zig (the pip package ziglang) through the venv's python.
export PATH="$(cd "$VENV/bin" && pwd):$PATH"

target=aarch64-unknown-linux-gnu
if ! rustup target list --installed | grep -qx "$target"; then
  echo "Adding the Rust target $target..." >&2
  rustup target add "$target" >&2
fi

functions=()
for manifest in functions/*/Cargo.toml; do
  functions+=("$(basename "$(dirname "$manifest")")")
done
((${#functions[@]})) || { echo "no function crates under functions/" >&2; exit 1; }

# One function at a time, from its own directory: exactly the build `sam build` runs for
# `BuildMethod: rust-cargolambda` (cargo-lambda in the CodeUri). Building them together would
# unify their dependencies' features differently, and `sam build` (make sam-local, deploy)
# would then compile a second variant of much of the tree; this way it reuses every artifact.
echo "Building ${functions[*]} (release, arm64)..." >&2
started=$SECONDS
for function in "${functions[@]}"; do
  (cd "functions/$function" && cargo lambda build --release --arm64 --output-format zip)
done
echo "Built in $((SECONDS - started)) s" >&2

# Each zip must hold one executable `bootstrap` for aarch64 Linux.
# cargo-lambda writes into the target directory's lambda/ (CARGO_TARGET_DIR when set).
lambda_dir="${CARGO_TARGET_DIR:-target}/lambda"
LAMBDA_DIR=$lambda_dir python3 - "${functions[@]}" <<'PY'
import os, sys, zipfile

failed = False
print(f"{'function':<14} {'zip':>10} {'bootstrap':>11}  path")
for name in sys.argv[1:]:
    path = os.path.join(os.environ["LAMBDA_DIR"], name, "bootstrap.zip")
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("bootstrap")
            head = archive.open(info).read(20)
    except (OSError, KeyError, zipfile.BadZipFile) as error:
        print(f"{name}: {path} has no bootstrap: {error}", file=sys.stderr)
        failed = True
        continue
    # ELF, 64-bit, little-endian, e_machine 183 = AArch64.
    if head[:4] != b"\x7fELF" or head[4] != 2 or int.from_bytes(head[18:20], "little") != 183:
        print(f"{name}: bootstrap in {path} is not an aarch64 ELF binary", file=sys.stderr)
        failed = True
        continue
    if not (info.external_attr >> 16) & 0o111:
        print(f"{name}: bootstrap in {path} is not executable", file=sys.stderr)
        failed = True
        continue
    size = os.path.getsize(path)
    print(f"{name:<14} {size / 1e6:>8.2f}MB {info.file_size / 1e6:>9.2f}MB  {path}")
sys.exit(1 if failed else 0)
PY

# What is deployed can never accept locally signed tokens (see docs/deploy.md).
zips=()
for function in "${functions[@]}"; do zips+=("$lambda_dir/$function/bootstrap.zip"); done
scripts/check-no-local-claims.sh "${zips[@]}"

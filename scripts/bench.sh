#!/usr/bin/env bash
# `make bench`: release builds of every function, the dev server and the harness (bench/),
# then the harness: cold start, handler overhead, throughput, capacity units, size and memory;
# then import and export (transfer-bench: 1,000 CSV rows, a 1,000-application restore);
# then the web app's size and board render time (scripts/web-bench.sh).
# It starts its own in-memory DynamoDB Local on a free port (the test harness's, package testkit,
# the same start-up as the integration tests); load stays on 127.0.0.1 and is
# bounded in connections and time. Results: target/bench/results.json, a table on stdout, and
# the results section of docs/performance.md; then analytics-bench (bench/src/bin), whose table
# goes into the "Analytics" section.
#
# `make bench-smoke` (`--smoke`): debug builds, tiny counts, no doc update — keeps the harness
# from rotting (CI runs it); exits non-zero on any error. Timings are never asserted.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
case "${1:-}" in
  --smoke) mode=smoke ;;
  "") ;;
  *) echo "usage: scripts/bench.sh [--smoke]" >&2; exit 2 ;;
esac

# Java and DynamoDB Local's jar must be there (it says what is missing otherwise).
scripts/dynamodb-local.sh --check

target=${CARGO_TARGET_DIR:-target}
packages=(-p applications -p feedback -p rejections -p health -p analytics -p transfer -p calendar
  -p sweeper -p dev-server -p bench)

if [ "$mode" = smoke ]; then
  # The whole workspace, as `cargo test --workspace` builds it: same features, artifacts reused.
  cargo build --quiet --locked --workspace --bins
  "$target/debug/transfer-bench" --rows 20 >/dev/null
  "$target/debug/bench" --smoke --root "$PWD" --bin-dir "$target/debug"
  exec "$target/debug/analytics-bench" --smoke --root "$PWD"
fi

echo "Building release binaries (functions, dev server, harness)..."
cargo build --release --locked "${packages[@]}"
started=$(date +%s)
"$target/release/bench" --root "$PWD" --bin-dir "$target/release"
# Analytics for one user with 100 / 1,000 / 5,000 applications (docs/performance.md, "Analytics").
"$target/release/analytics-bench" --root "$PWD"
echo "make bench: the harness took $(($(date +%s) - started)) s after the build."

# Import and export: 1,000 CSV rows, a 1,000-application backup restored, the export paged
# (a Markdown table on stdout; docs/performance.md "Import and export" records a run).
echo "Import and export (bench/src/bin/transfer-bench.rs)..."
"$target/release/transfer-bench"

# The web app: its gzip size and the time to a rendered board of 200 applications, against the
# release dev server (writes its own section of docs/performance.md).
DEV_SERVER_BIN="$target/release/dev-server" make --no-print-directory bench-web

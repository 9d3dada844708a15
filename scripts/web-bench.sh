#!/usr/bin/env bash
# `make bench-web` (run by `make bench`): the web app's JS+CSS gzip size, and the time from
# navigation to a rendered board of 200 applications in headless Chromium against a fresh dev
# server (the release build when DEV_SERVER_BIN names it). Writes the web section of
# docs/performance.md and target/bench/web.json.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-chromium.sh
[ -f web/dist/index.html ] || { echo "web/dist is missing: run make web" >&2; exit 1; }
source scripts/serve-local.sh
CHROMIUM=$(command -v chromium) node scripts/web-bench.mjs "$@"

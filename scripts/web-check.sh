#!/usr/bin/env bash
# `make test-web`: the web app end to end in headless Chromium against a fresh dev server
# (see web-check.mjs). Screenshots in artifacts/web-*.png.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/ensure-chromium.sh
[ -f web/dist/index.html ] || { echo "web/dist is missing: run make web" >&2; exit 1; }
source scripts/serve-local.sh
CHROMIUM=$(command -v chromium) node scripts/web-check.mjs

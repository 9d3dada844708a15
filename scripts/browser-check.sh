#!/usr/bin/env bash
# `make test-browser`: headless Chromium opens /docs from the dev server (see browser-check.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/ensure-chromium.sh

source scripts/serve-local.sh
CHROMIUM=$(command -v chromium) node scripts/browser-check.mjs

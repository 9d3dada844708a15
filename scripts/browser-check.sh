#!/usr/bin/env bash
# `make test-browser`: headless Chromium opens /docs from the dev server (see browser-check.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "Chromium is needed: apt-get install -y chromium (as root)" >&2
    exit 1
  fi
  echo "Installing Debian's chromium..."
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi

source scripts/serve-local.sh
CHROMIUM=$(command -v chromium) node scripts/browser-check.mjs

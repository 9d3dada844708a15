#!/usr/bin/env bash
# Installs Debian's chromium when it is missing (the browser checks drive it with playwright-core).
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is needed: apt-get install -y chromium (as root)" >&2
  exit 1
fi
echo "Installing Debian's chromium..."
apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

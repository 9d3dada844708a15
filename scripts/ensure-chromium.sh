#!/usr/bin/env bash
# Installs Debian's chromium when it is missing (the browser checks drive it with playwright-core).
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "Chromium is needed: apt-get install -y chromium (as root)" >&2
  exit 1
fi
echo "Installing Debian's chromium..."
# Other jobs on the machine may hold the dpkg lock for a while: wait for it.
apt-get -o DPkg::Lock::Timeout=600 update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null

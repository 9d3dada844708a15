#!/usr/bin/env bash
# `make lint-template`: cfn-lint (informational checks included), `sam validate --lint` and
# scripts/sam-translate-check.py on template.yaml, offline, with the versions pinned in requirements-dev.txt (installed into .venv
# on first use). Prints one line when both are clean; their findings otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
ensure_venv_tools cfn-lint aws-sam-cli

# Both run offline; sam needs a region (any) and must not send telemetry.
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-us-east-1}
export SAM_CLI_TELEMETRY=0

status=0
"$VENV/bin/cfn-lint" --include-checks I -- template.yaml || status=1
if ! output=$("$VENV/bin/sam" validate --lint --template-file template.yaml 2>&1); then
  echo "$output" >&2
  status=1
fi
# What SAM makes of it: the roles it adds managed policies to, the per-route throttles' keys.
"$VENV/bin/python" scripts/sam-translate-check.py || status=1
if ((status)); then
  echo "template.yaml: lint failed" >&2
  exit 1
fi
echo "template.yaml: cfn-lint $("$VENV/bin/cfn-lint" --version | awk '{print $2}'), sam validate --lint and SAM's translation are clean"

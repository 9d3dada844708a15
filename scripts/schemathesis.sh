#!/usr/bin/env bash
# `make fuzz`: Schemathesis generates requests from the API's own OpenAPI document and runs
# them against the dev server (with a valid token). Zero failures, at least 1,000 requests.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=.venv-fuzz
if [ ! -x "$VENV/bin/schemathesis" ] || ! cmp -s scripts/requirements-fuzz.txt "$VENV/requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-fuzz.txt
  cp scripts/requirements-fuzz.txt "$VENV/requirements.txt"
fi

source scripts/serve-local.sh

MIN_REQUESTS=${MIN_REQUESTS:-1000}
report=$(mktemp)
set +e
"$VENV/bin/schemathesis" run "$API_URL/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "${SCHEMATHESIS_MAX_EXAMPLES:-40}" \
  --seed "${SCHEMATHESIS_SEED:-20261124}" \
  --workers 1 \
  --request-timeout 10 \
  --no-color 2>&1 | tee "$report"
status=${PIPESTATUS[0]}
set -e
generated=$(sed -n 's/^ *\([0-9][0-9]*\) generated.*/\1/p' "$report" | tail -n 1)
rm -f "$report"
if [ "$status" -ne 0 ]; then
  echo "schemathesis: failures found (exit $status)" >&2
  exit "$status"
fi
if [ -z "$generated" ] || [ "$generated" -lt "$MIN_REQUESTS" ]; then
  echo "schemathesis: only ${generated:-0} requests generated; at least $MIN_REQUESTS are required" >&2
  exit 1
fi
echo "schemathesis: $generated requests, 0 failures"

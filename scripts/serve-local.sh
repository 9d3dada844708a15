#!/usr/bin/env bash
# Sourced by the checks that need a running API: starts an in-memory DynamoDB Local and the
# dev server on free ports, exports API_URL and TOKEN, and stops both when the caller exits.
# Usage: source scripts/serve-local.sh
set -euo pipefail

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

scripts/dynamodb-local.sh --check
# The whole workspace, as `cargo test --workspace` builds it: same features, artifacts reused.
# DEV_SERVER_BIN names an already built dev server instead (make bench: the release one).
if [ -z "${DEV_SERVER_BIN:-}" ]; then
  cargo build --quiet --locked --workspace --bins
fi
_dev_server=${DEV_SERVER_BIN:-${CARGO_TARGET_DIR:-target}/debug/dev-server}
_serve_dir=$(mktemp -d)
# Both chosen before either starts (Java takes a while to bind its port): never the same one.
_ddb_port=$(free_port)
_api_port=$(free_port)
while [[ $_api_port == "$_ddb_port" ]]; do _api_port=$(free_port); done
scripts/dynamodb-local.sh --port "$_ddb_port" --in-memory >"$_serve_dir/dynamodb.log" 2>&1 &
_ddb_pid=$!
PORT=$_api_port TABLE_NAME=checks AWS_REGION=us-east-1 \
  AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$_ddb_port" \
  "$_dev_server" >"$_serve_dir/dev-server.log" 2>&1 &
_api_pid=$!
_stop_local() {
  kill "$_api_pid" "$_ddb_pid" 2>/dev/null || true
  wait "$_api_pid" "$_ddb_pid" 2>/dev/null || true
  rm -rf "$_serve_dir"
}
trap _stop_local EXIT

export API_URL="http://127.0.0.1:$_api_port"
for _ in $(seq 1 150); do
  if curl -fsS "$API_URL/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$_api_pid" 2>/dev/null; then
    echo "dev server failed to start:" >&2; cat "$_serve_dir/dev-server.log" >&2; exit 1
  fi
  sleep 0.2
done
curl -fsS "$API_URL/health" >/dev/null || { echo "dev server did not answer at $API_URL" >&2; exit 1; }
TOKEN=$("$_dev_server" token "checks-$(date +%s%N)")
export TOKEN

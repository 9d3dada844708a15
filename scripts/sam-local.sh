#!/usr/bin/env bash
# `make sam-local`: every file in events/ through SAM's own Lambda emulator, as CI runs it.
#
#   1. installs what it needs: aws-sam-cli and cargo-lambda into .venv (pinned in
#      requirements-dev.txt), podman, runc and qemu-user-static (Debian packages);
#   2. builds the local stand-in for the provided.al2023 base image from Debian packages
#      (scripts/lambda-base-image.sh) — no registry is contacted, ever;
#   3. `sam build` on template.yaml as it is: arm64, release, the same cargo-lambda build as
#      `make package`, so after `make package` it only copies the binaries;
#   4. starts the podman API service on a private socket, and DynamoDB Local (in memory) with
#      the table created from the code's definition (`dev-server create-table`);
#   5. `sam local invoke`s each event against its function (arm64, under qemu) and checks the
#      status code, content type and body keys scripts/sam-local-expected.json names.
#
# The podman service, DynamoDB Local and any container are stopped on exit, failure included.
# Ends with `sam-local: N passed, M failed`. Runs unattended (no stdin needed).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/venv.sh
source scripts/podman.sh

# Only for local runs; AWS never sees this (the deployed stack takes CursorSecret as a parameter).
CURSOR_SECRET=sam-local-cursor-secret-not-for-deployment
TABLE=sam-local
# SAM 1.170 treats `--docker-network host` as "attach to no extra network": the function
# containers sit on podman's default bridge and reach the host (DynamoDB Local listens on every
# interface) as host.containers.internal, the name podman puts in each container's /etc/hosts.
SAM_FLAGS=(--skip-pull-image --docker-network host)
CONTAINER_HOST_NAME=host.containers.internal

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
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

ensure_podman
image=$(scripts/lambda-base-image.sh | tail -n 1)
step "base image $image ready"

# --- build: the real template, as `sam deploy` would ship it --------------------------------
step "sam build (arm64, release; reuses make package's target/)"
nice -n 15 sam build --template-file template.yaml >"$SAM_LOCAL_DIR/sam-build.log" 2>&1 ||
  { tail -n 40 "$SAM_LOCAL_DIR/sam-build.log" >&2; echo "sam-local: sam build failed" >&2; exit 1; }
# The table is created by the code's own definition (shared::table), through the dev server.
nice -n 15 cargo build --quiet --locked --workspace --bins
step "built"

# --- local services, stopped whatever happens -----------------------------------------------
run_dir=$(mktemp -d)
ddb_pid=""
cleanup() {
  local status=$?
  stop_podman_service
  if [[ -n $ddb_pid ]]; then
    kill "$ddb_pid" 2>/dev/null || true
    wait "$ddb_pid" 2>/dev/null || true
  fi
  rm -rf "$run_dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ddb_port=$(free_port)
scripts/dynamodb-local.sh --port "$ddb_port" --in-memory >"$SAM_LOCAL_DIR/dynamodb-local.log" 2>&1 &
ddb_pid=$!
TABLE_NAME=$TABLE AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$ddb_port" \
  target/debug/dev-server create-table >&2
endpoint="http://$CONTAINER_HOST_NAME:$ddb_port"
start_podman_service
step "DynamoDB Local on $endpoint, podman API on $DOCKER_HOST"

# SAM passes a function only the environment variables the template declares, and the
# deployed template has no business naming a DynamoDB endpoint. So the invocations use the
# built template plus that one declaration (same directory: its CodeUri paths are relative).
built=.aws-sam/build/template.yaml
local_template=.aws-sam/build/template.sam-local.yaml
"$VENV/bin/python" scripts/sam-local-template.py "$built" "$local_template"
cat >"$run_dir/env.json" <<EOF
{"Parameters": {"TABLE_NAME": "$TABLE", "AWS_ENDPOINT_URL_DYNAMODB": "$endpoint",
                "CURSOR_SECRET": "$CURSOR_SECRET", "RUST_LOG": "warn"}}
EOF

step "invoking every event"
python3 scripts/sam-local-invoke.py scripts/sam-local-expected.json events "$run_dir/events" -- \
  sam local invoke --template-file "$local_template" "${SAM_FLAGS[@]}" --invoke-image "$image" \
  --env-vars "$run_dir/env.json" --parameter-overrides "CursorSecret=$CURSOR_SECRET"
step "done"

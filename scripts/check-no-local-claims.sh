#!/usr/bin/env bash
# Proves that what is deployed cannot accept locally signed tokens (the `local-claims` Cargo
# feature, for `sam local start-api` only; see docs/deploy.md):
#
#   scripts/check-no-local-claims.sh [--expect-present] FILE...
#
#   - template.yaml names neither the feature nor LOCAL_JWT_SECRET (SAM passes no Cargo flags
#     to cargo-lambda, so the template cannot enable a feature any other way);
#   - no Cargo.toml turns the feature on by default, nor through cargo-lambda's
#     [package.metadata.lambda] / [workspace.metadata.lambda] build settings;
#   - no FILE (a `bootstrap`, or a zip holding one) contains the marker string the feature's
#     code logs. With --expect-present, some FILE must contain it instead (the check of a
#     local-claims build, which shows the marker test can see what it looks for; the health
#     function has no protected route, so the compiler leaves the code out of it).
set -euo pipefail
cd "$(dirname "$0")/.."

MARKER="feedback-tracker local-claims build"
expect=absent
if [[ ${1:-} == --expect-present ]]; then expect=present; shift; fi

status=0
fail() { echo "check-no-local-claims: $*" >&2; status=1; }

if [[ $expect == absent ]]; then
  if grep -n -i -E 'local[-_]claims|LOCAL_JWT_SECRET' template.yaml >&2; then
    fail "template.yaml must not mention the local-claims feature or LOCAL_JWT_SECRET"
  fi
  CARGO_METADATA=$(cargo metadata --format-version 1 --no-deps --offline) python3 - <<'PY' ||
import json, os, sys
bad = []
meta = json.loads(os.environ["CARGO_METADATA"])
for package in meta["packages"]:
    features = package.get("features", {})
    seen, todo = set(), list(features.get("default", []))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.split("/")[-1] == "local-claims":
            bad.append(f"{package['name']}: the default features enable local-claims")
        todo.extend(features.get(name, []))
    if "local-claims" in json.dumps((package.get("metadata") or {}).get("lambda", {})):
        bad.append(f"{package['name']}: [package.metadata.lambda] names local-claims")
if "local-claims" in json.dumps((meta.get("metadata") or {}).get("lambda", {})):
    bad.append("[workspace.metadata.lambda] names local-claims")
for line in bad:
    print(line, file=sys.stderr)
sys.exit(1 if bad else 0)
PY
    fail "a Cargo manifest enables local-claims for every build"
fi

# The marker must exist in the source, or this check would pass vacuously.
grep -rqF --include='*.rs' "$MARKER" shared functions dev-server 2>/dev/null ||
  fail "no source file defines the marker \"$MARKER\": update this check with the code"

python3 - "$MARKER" "$expect" "$@" <<'PY' || status=1
import sys, zipfile
marker, expect, files = sys.argv[1].encode(), sys.argv[2], sys.argv[3:]
failed = False
holders = []
for path in files:
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                data = archive.read("bootstrap")
        else:
            with open(path, "rb") as file:
                data = file.read()
    except (OSError, KeyError) as error:
        print(f"check-no-local-claims: {path}: {error}", file=sys.stderr)
        failed = True
        continue
    if marker in data:
        holders.append(path)
        if expect == "absent":
            print(f"check-no-local-claims: {path} contains local-claims code", file=sys.stderr)
            failed = True
if expect == "present":
    # A function without protected routes (health) never asks for the caller, so the
    # compiler drops the code there; one holder shows the marker is what the build leaves.
    if not holders:
        print("check-no-local-claims: no file contains the local-claims marker", file=sys.stderr)
        failed = True
    else:
        print(f"local-claims code in {len(holders)} of {len(files)} binaries", file=sys.stderr)
sys.exit(1 if failed else 0)
PY

if ((status == 0)) && [[ $expect == absent ]]; then
  echo "no local-claims: template.yaml, Cargo manifests and $# deployable binaries checked" >&2
fi
exit "$status"

#!/usr/bin/env python3
"""`sam local invoke`s every file in events/ against the function that owns it, in the order of
scripts/sam-local-expected.json, and checks each answer's status code, content type and body
keys. Run by scripts/sam-local.sh, which has built the functions, started the podman API
service and DynamoDB Local; the `sam` command line it passes follows `--`.

    sam-local-invoke.py EXPECTED.json EVENTS_DIR WORK_DIR -- sam local invoke [OPTIONS...]

Each event goes to `<Prefix>Function` (events are named `<function>-<action>.json`). Events
whose placeholder ids name resources the run has created are sent as copies with the real ids
(the creates return them). Prints one line per invocation and `sam-local: N passed, M failed`.
"""

import json
import os
import subprocess
import sys
import time


def function_of(event_name):
    return event_name.split("-", 1)[0].capitalize() + "Function"


def substitute(text, ids):
    for placeholder, real in ids.items():
        text = text.replace(placeholder, real)
    return text


def check(answered, answer, status, shape):
    """Problems with one answer (an API Gateway v2 response), as a list of strings."""
    if not answered:
        # SAM exits 0 when the function timed out or its container gave no answer.
        return ["no answer on stdout (timed out, or no response from the container)"]
    if shape.get("stream"):
        # A stream handler answers `null`; an error would be an `errorMessage` object.
        return [] if answer is None else [f"expected no answer, got {str(answer)[:200]}"]
    problems = []
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return [f"not an API Gateway response: {str(answer)[:200]}"]
    if answer["statusCode"] != status:
        problems.append(f"status {answer['statusCode']}, expected {status}")
    headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
    body = answer.get("body") or ""
    want_type = shape["content_type"]
    if want_type is None:
        if body:
            problems.append(f"expected no body, got {body[:120]!r}")
        return problems
    content_type = headers.get("content-type", "")
    if not content_type.startswith(want_type):
        problems.append(f"content-type {content_type!r}, expected {want_type}")
    if shape["keys"]:
        try:
            document = json.loads(body)
        except ValueError:
            return problems + [f"body is not JSON: {body[:120]!r}"]
        missing = [key for key in shape["keys"] if key not in document]
        if missing:
            problems.append(f"body lacks {missing}: {body[:200]}")
        if "status" in shape["keys"] and want_type == "application/problem+json" and document.get("status") != status:
            problems.append(f"problem status {document.get('status')} != {status}")
    elif not body:
        problems.append("empty body")
    return problems


def main():
    separator = sys.argv.index("--")
    expected_path, events_dir, work_dir = sys.argv[1:separator]
    sam = sys.argv[separator + 1 :]
    with open(expected_path) as file:
        expected = json.load(file)

    on_disk = sorted(name[:-5] for name in os.listdir(events_dir) if name.endswith(".json"))
    planned = {step["event"] for step in expected["invocations"]}
    unplanned = [name for name in on_disk if name not in planned]
    missing = sorted(planned - set(on_disk))
    if unplanned or missing:
        print(f"sam-local: {expected_path} must cover events/ exactly: not planned {unplanned}, no such file {missing}", file=sys.stderr)
        return 1

    placeholders = expected["ids"]  # placeholder id -> the event whose answer carries the real one
    real_ids = {}
    passed = failed = 0
    os.makedirs(work_dir, exist_ok=True)
    for number, step in enumerate(expected["invocations"], 1):
        name, status, shape = step["event"], step["status"], expected["shapes"][step["shape"]]
        with open(os.path.join(events_dir, f"{name}.json")) as file:
            text = file.read()
        event_file = os.path.join(events_dir, f"{name}.json")
        if not step.get("as_is"):
            event_file = os.path.join(work_dir, f"{number:02d}-{name}.json")
            with open(event_file, "w") as file:
                file.write(substitute(text, real_ids))
        started = time.monotonic()
        # The function's logical id goes first: SAM's list-valued options would swallow it.
        at = sam.index("invoke") + 1
        command = sam[:at] + [function_of(name), "--event", event_file] + sam[at:]
        try:
            # Far above any function's own timeout, with a cold container under qemu.
            run = subprocess.run(
                command, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=600
            )
        except subprocess.TimeoutExpired as expired:
            # Its output is bytes whatever `text` says.
            text_of = lambda out: out.decode(errors="replace") if isinstance(out, bytes) else out or ""
            run = subprocess.CompletedProcess(command, 124, text_of(expired.stdout), text_of(expired.stderr))
        seconds = time.monotonic() - started
        answered, answer = False, None
        for line in reversed(run.stdout.strip().splitlines()):
            try:
                answer = json.loads(line)
                answered = True
                break
            except ValueError:
                continue
        problems = [f"sam exited with {run.returncode}"] if run.returncode else []
        problems += check(answered, answer, status, shape)
        label = f"{name}{' (as is)' if step.get('as_is') else ''}"
        if problems:
            failed += 1
            print(f"FAIL {label:<32} {seconds:5.1f} s  {'; '.join(problems)}")
            print("  sam output (last lines):\n    " + "\n    ".join((run.stderr + run.stdout).strip().splitlines()[-25:]))
        else:
            passed += 1
            print(f"ok   {label:<32} {seconds:5.1f} s  {answer['statusCode'] if answer else 'done'}")
        # A create's answer names the resource the later events address.
        for placeholder, creator in placeholders.items():
            if creator == name and not problems:
                real_ids[placeholder] = json.loads(answer["body"])["id"]
    print(f"sam-local: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Writes the template `sam local` runs, from a template SAM can read (run with the .venv's
python: it uses SAM's own YAML reader, which knows the `!Ref`-style tags).

    sam-local-template.py IN OUT                        declarations only
    sam-local-template.py IN OUT --code-dir DIR         also: each function's code is
                                                        DIR/<function crate>/bootstrap, prebuilt

SAM passes a function only the environment variables its template declares (`--env-vars` can
set only those), and template.yaml, which is what is deployed, has no business naming a local
DynamoDB endpoint or a local token secret. So the local template declares them, empty:
AWS_ENDPOINT_URL_DYNAMODB and LOCAL_JWT_SECRET. Nothing else changes. template.yaml itself is
never written.

With --code-dir (`sam local start-api`, scripts/sam-local.sh), CodeUri points at binaries
cargo-lambda built (with the local-claims feature when the code has it) and the build metadata
goes, so SAM uses them as they are.
"""

import os
import sys

from samcli.yamlhelper import yaml_dump, yaml_parse

LOCAL_ONLY = ("AWS_ENDPOINT_URL_DYNAMODB", "LOCAL_JWT_SECRET")


def main():
    source, out = sys.argv[1:3]
    code_dir = sys.argv[4] if len(sys.argv) > 4 and sys.argv[3] == "--code-dir" else None
    with open(source) as file:
        template = yaml_parse(file.read())
    variables = (
        template.setdefault("Globals", {})
        .setdefault("Function", {})
        .setdefault("Environment", {})
        .setdefault("Variables", {})
    )
    for name in LOCAL_ONLY:
        variables.setdefault(name, "")
    if code_dir:
        out_dir = os.path.dirname(os.path.abspath(out))
        for name, resource in template["Resources"].items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            crate = os.path.basename(resource["Properties"]["CodeUri"].rstrip("/"))
            code = os.path.join(code_dir, crate)
            if not os.path.isfile(os.path.join(code, "bootstrap")):
                sys.exit(f"{name}: no {code}/bootstrap")
            resource["Properties"]["CodeUri"] = os.path.relpath(code, out_dir)
            resource.pop("Metadata", None)
    with open(out, "w") as file:
        file.write(yaml_dump(template))


if __name__ == "__main__":
    main()

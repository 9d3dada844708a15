#!/usr/bin/env python3
"""Translates template.yaml with SAM's own translator, offline, and checks what it makes of it,
which the Rust template tests (reading template.yaml as written) cannot see:

- no function role carries a managed policy but AWSLambdaBasicExecutionRole (logs): SAM adds
  AWSLambdaDynamoDBExecutionRole, which reads every stream in the account, to a role it makes
  for a stream-triggered function; the sweeper has its own role for that reason;
- every per-route throttle (the stage's RouteSettings) names a route the API has: a key that
  matches none fails the deploy ("Unable to find Route by key").

Run with the .venv's python (make lint-template).
"""

import os
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform

BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


class ManagedPolicies:
    """The managed policies SAM may name, without asking IAM."""

    def load(self):
        return {
            "AWSLambdaBasicExecutionRole": BASIC,
            "AWSLambdaDynamoDBExecutionRole": "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
        }


def main():
    root = os.path.join(os.path.dirname(__file__), "..")
    template = yaml_parse(open(os.path.join(root, "template.yaml")).read())
    # Translation wants packaged code; where it is does not matter here.
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/key"
    resources = transform(template, {}, ManagedPolicies())["Resources"]
    problems = []

    for name, resource in resources.items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for arn in resource["Properties"].get("ManagedPolicyArns", []):
            if arn != BASIC:
                problems.append(f"{name} carries the managed policy {arn}")

    routes = set()
    for resource in resources.values():
        if resource["Type"] == "AWS::ApiGatewayV2::Api":
            for path, methods in resource["Properties"]["Body"]["paths"].items():
                for method in methods:
                    method = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
                    routes.add(f"{method} {path}")
    for name, resource in resources.items():
        if resource["Type"] == "AWS::ApiGatewayV2::Stage":
            for key in resource["Properties"].get("RouteSettings", {}):
                if key not in routes:
                    problems.append(f"{name}: RouteSettings names {key}, which is no route")

    for problem in problems:
        print(f"template.yaml, as SAM translates it: {problem}", file=sys.stderr)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()

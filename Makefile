# Every operator entry point. Run from the repository root.
# Configuration comes from the environment (see README); sensible local defaults apply.

SHELL := /bin/bash
.DEFAULT_GOAL := help
TSX := node --import tsx
BIN := node_modules/.bin
CORE_CLI := services/core/src/cli

.PHONY: help up test diagnostics lint format typecheck migrate rollback db-test config-validate token demo replay bench setup deps services

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-16s %s\n", $$1, $$2}'

deps: ## install pnpm and the dependencies when missing
	@scripts/ensure-deps.sh

services: ## start NATS and PostgreSQL when none are reachable
	@scripts/ensure-services.sh

setup: deps services migrate

up: setup ui ## run the whole stack; the gateway and dashboard on http://localhost:3000
	@$(TSX) scripts/run-stack.ts

# The dashboard build is needed only by ui/tests/*.e2e.ts, which drive it in Chromium.
test: setup lint typecheck ui ## set up, then run every test against real NATS and PostgreSQL
	@$(BIN)/vitest run --project fast
	@$(BIN)/vitest run --project stack --no-file-parallelism

lint: deps ## biome lint and format check
	@$(BIN)/biome check .

format: deps ## rewrite files in the house format
	@$(BIN)/biome check --write .

typecheck: deps ## TypeScript, strict, every package
	@$(BIN)/tsc -p tsconfig.json
	@cd ui && node_modules/.bin/svelte-kit sync && node_modules/.bin/svelte-check --tsconfig ./tsconfig.json --fail-on-warnings

.PHONY: ui
UI_SOURCES := $(shell find ui/src ui/static -type f 2>/dev/null) ui/package.json ui/svelte.config.js ui/vite.config.ts

ui: ui/build/handler.js ## build the dashboard the gateway serves (ui/build); rebuilt when its sources change

ui/build/handler.js: $(UI_SOURCES)
	@$(MAKE) --no-print-directory deps
	@echo "building the dashboard (ui/build)"
	@log=$$(mktemp); if (cd ui && node_modules/.bin/vite build) >"$$log" 2>&1; then rm -f "$$log"; else cat "$$log"; rm -f "$$log"; exit 1; fi

migrate: deps ## create the database if needed and apply pending migrations
	@$(TSX) $(CORE_CLI)/migrate.ts

rollback: deps ## undo the latest migration (ALL=1 for every one)
	@$(TSX) $(CORE_CLI)/migrate.ts --down $(if $(ALL),--all,)

db-test: deps ## connect to PostgreSQL; report version and pending migrations
	@$(TSX) $(CORE_CLI)/db-test.ts

config-validate: deps ## validate the configuration, one line per problem
	@$(TSX) $(CORE_CLI)/config-validate.ts

token: deps ## print a JWT for local use: ROLE=admin|operator|viewer WS=acme [SUB=alice] [TTL=12h]
	@$(TSX) services/gateway/src/cli/token.ts $(if $(ROLE),--role '$(ROLE)',) $(if $(WS),--ws '$(WS)',) $(if $(SUB),--sub '$(SUB)',) $(if $(TTL),--ttl '$(TTL)',)

diagnostics: deps ## check gateway, WebSocket, NATS, PostgreSQL, agents, accounts, sessions (TOKEN=.. JSON=1)
	@$(TSX) $(CORE_CLI)/diagnostics.ts $(if $(JSON),--json,)

demo: deps ## emulator + 3 demo accounts + a stream of sessions against a running stack (make up)
	@$(TSX) services/dispatcher/src/demo/demo.ts

replay: deps ## rebuild the read models from the streams (PROJECTION=name for one); queries keep answering
	@PROJECTION='$(PROJECTION)' node --max-semi-space-size=64 --import tsx services/projector/src/replay.ts

bench: setup ## benchmarks; JSON in bench/results/, a table on stdout
	@$(TSX) bench/src/run.ts

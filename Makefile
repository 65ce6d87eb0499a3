# Two commands: `make run` serves on the embedded default, `make test` runs everything.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: run test lint fmt bench clean chromium cluster-tools node-deps cluster cluster-stop cluster-test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Tenantry needs Python 3.11+")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/tenantry serve --host 127.0.0.1 --port 8000 --demo

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# Browser tests drive Debian's chromium (never `playwright install`, which downloads a build).
chromium:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The cluster drills (tests/cluster, run by `make test`) put haproxy in front of the replicas and
# load them with wrk; Debian's packages, installed when missing.
cluster-tools:
	@command -v haproxy >/dev/null 2>&1 && command -v wrk >/dev/null 2>&1 || { apt-get update -qq \
	  && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy wrk >/dev/null; }

# The Postman import test converts our spec with the npm package openapi-to-postmanv2.
POSTMAN := tests/perscom/.node/node_modules/openapi-to-postmanv2/package.json
# The console's browser tests check accessibility with the npm package axe-core.
AXE := tests/web/.node/node_modules/axe-core/axe.min.js
node-deps: $(POSTMAN) $(AXE)
$(AXE):
	@if command -v npm >/dev/null 2>&1; then mkdir -p tests/web/.node && cd tests/web/.node \
	  && npm install --no-audit --no-fund --silent axe-core@4.10.2; fi
$(POSTMAN):
	@if command -v npm >/dev/null 2>&1; then mkdir -p tests/perscom/.node && cd tests/perscom/.node \
	  && npm install --no-audit --no-fund --silent openapi-to-postmanv2@6.3.3; fi

test: $(VENV)/.installed-dev lint chromium cluster-tools node-deps
	scripts/test-legs.sh

# The scale-out topology on loopback (scripts/cluster.sh): Ctrl-C or `make cluster-stop` ends it.
cluster: $(VENV)/.installed-dev
	scripts/cluster.sh up

cluster-stop:
	scripts/cluster.sh stop

# Its failure drills (tests/cluster/), each on a cluster of its own in a temporary directory.
cluster-test: $(VENV)/.installed-dev cluster-tools
	TENANTRY_CLUSTER_TEST=1 $(BIN)/pytest tests/cluster -q -p no:randomly -p no:cacheprovider

fmt: $(VENV)/.installed-dev
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

bench: $(VENV)/.installed-dev
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .tenantry .pytest_cache .mypy_cache .ruff_cache

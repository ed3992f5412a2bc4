# Two set-up commands for a fresh machine: `make serve` and `make test`.
# Both create the virtual environment and install pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= $(abspath ../shared)
export OPENSTATS_REFERENCE_DIR ?= $(SHARED)/reference
export OPENSTATS_SHARED_DIR ?= $(SHARED)
# Let Python cache compiled modules (__pycache__, ignored by git) even where the machine's
# environment says not to: pytest then rewrites each test module's asserts once, not on
# every run and in every worker (collection 8.4 s -> 4.9 s), and each `openstats` process
# the tests start reads our modules compiled.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: serve test check bench lint clean

GOVUK := src/openstats/web/static/govuk

$(STAMP): pyproject.toml constraints.txt package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	npm ci --no-audit --no-fund --loglevel=error
	# GOV.UK Frontend's compiled assets, served from our own static route (no GOV.UK font).
	$(BIN)/python -m openstats.web.assets node_modules/govuk-frontend/dist/govuk $(GOVUK)
	# Debian's chromium for the browser tests (Playwright never downloads a browser).
	command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/openstats load-demo
	$(BIN)/openstats serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	# Three worker processes on 2 cores: the system tier waits on servers, browsers and
	# subprocesses for part of its time, and with two workers the cores were 136% busy;
	# three took 432 s against 485 s (measured 2026-12-04). A file's tests stay on one
	# worker, so its module fixtures (live servers, big files) are built once; files go out
	# in collection order, long system-tier files first (tests/conftest.py says why).
	$(BIN)/pytest -n 3 --dist loadfile --no-loadscope-reorder

# While developing: the fast tier only, the app in-process (no live servers, processes,
# browsers, crash, fault, fuzz or load tests: those are marked `system`, tests/support/tiers.py).
check: $(STAMP)
	$(BIN)/pytest -n 2 --dist loadfile -m "not system"

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .openstats

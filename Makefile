# Two set-up commands for a fresh machine: `make serve` and `make test`.
# Both create the virtual environment and install pinned dependencies first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED ?= $(abspath ../shared)
export OPENSTATS_REFERENCE_DIR ?= $(SHARED)/reference
export OPENSTATS_SHARED_DIR ?= $(SHARED)

.PHONY: serve test bench lint clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e '.[test]'
	touch $(STAMP)

serve: $(STAMP)
	$(BIN)/openstats load-demo
	$(BIN)/openstats serve --host 127.0.0.1 --port 8000

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

clean:
	rm -rf $(VENV) .openstats

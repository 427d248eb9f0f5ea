# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: serve build check test lint typecheck lighthouse bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/backoffice-site serve --port $(PORT)

build: $(STAMP)
	$(BIN)/backoffice-site build

check: $(STAMP)
	$(BIN)/backoffice-site check --strict

lint: $(STAMP)
	$(BIN)/ruff check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy src

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy src
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Only the Lighthouse test (also part of `make test`): median of up to five runs per page; reports in
# test-artifacts/lighthouse/.
lighthouse: $(STAMP)
	$(BIN)/python -m pytest tests/browser/test_lighthouse.py

bench: $(STAMP)
	$(BIN)/python bench/run.py

clean:
	rm -rf public .cache .pytest_cache .mypy_cache .ruff_cache

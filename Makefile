# Two commands on a fresh machine: `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: serve build check freshness test lint typecheck lighthouse bench clean

# Pagefind 1.6 comes from its npm package (PyPI has 1.5.2, which misses some Japanese words): see
# src/backoffice_site/pagefind_fetch.py and docs/search.md
$(STAMP): pyproject.toml src/backoffice_site/pagefind_fetch.py
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m backoffice_site.pagefind_fetch
	@touch $(STAMP)

serve: $(STAMP)
	$(BIN)/backoffice-site serve --port $(PORT)

build: $(STAMP)
	$(BIN)/backoffice-site build

check: $(STAMP)
	$(BIN)/backoffice-site check --strict

# The same on the real today, for a scheduled job (weekly): fails once a review_by or a planned change's day
# has passed. `make test` leaves those out of its gate (tests/test_content.py) — they come from the calendar,
# not from a commit — and the pages tell readers which entries are overdue.
freshness: $(STAMP)
	env -u SOURCE_DATE_EPOCH $(BIN)/backoffice-site check --strict

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

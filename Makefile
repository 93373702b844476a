# One way to do each chore (STYLE.md rule 12). Every target sets up .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint schema bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

## run: the mocked national services and the gateway (in-memory cache, SQLite under .data/)
run: $(STAMP)
	$(PY) -m gateway dev

## test: the whole suite
test: $(STAMP)
	$(PY) -m pytest $(PYTEST_ARGS)

## lint: ruff and mypy --strict
lint: $(STAMP)
	$(VENV)/bin/ruff check gateway mocks tests
	$(VENV)/bin/mypy

## schema: regenerate schema.graphql from the code
schema: $(STAMP)
	$(PY) -m gateway schema > schema.graphql

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache

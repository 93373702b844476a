# One way to do each chore (STYLE.md rule 12). Every target sets up .venv itself.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test lint schema bench bench-peer clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test,lint]'
	@touch $(STAMP)

## run: the mocked national services and the gateway (in-memory cache, SQLite under .data/);
## WORKERS=4 runs four gateway processes
run: $(STAMP)
	$(PY) -m gateway dev $(if $(WORKERS),--workers $(WORKERS))

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

## bench: S1-S5 on real processes (mocks at 20 ms, the gateway, the bare-Starlette limit);
## writes bench/results/<date>.json and .md (BENCH_ARGS="--seconds 15 --workers 2 ...")
bench: $(STAMP) wrk
	$(PY) -m bench.run $(BENCH_ARGS)

## bench-peer: the same run, plus Hive Gateway over the mocks' OpenAPI (npm, into bench/peer/)
bench-peer: $(STAMP) wrk
	@command -v npm >/dev/null || { echo "make bench-peer needs Node.js 20+ and npm"; exit 1; }
	cd bench/peer && npm ci --no-audit --no-fund --loglevel=error
	$(PY) -m bench.run --peer $(BENCH_ARGS)

.PHONY: wrk
wrk:
	@command -v wrk >/dev/null || { [ "$$(id -u)" = 0 ] && apt-get install -y -qq wrk >/dev/null; } \
	  || { echo "the benchmarks need wrk (Debian: apt-get install -y wrk)"; exit 1; }

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache

# Quick start: `make demo` (set up, run the main job offline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup demo test test-postgres lint typecheck check bench i18n-extract i18n-update clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m bot demo

test: $(STAMP)
	$(BIN)/python -m pytest -q

# The same suite on PostgreSQL: TEST_DATABASE_URL if set, else a throw-away local cluster.
test-postgres: $(STAMP)
	.ci/with-postgres $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/deptry .

typecheck: $(STAMP)
	$(BIN)/mypy

check: lint typecheck test

# Benchmarks print figures (minutes each at their default sizes; see docs/). Choose with
# BENCHES and pass options with BENCH_ARGS, e.g. `make bench BENCHES=ingest BENCH_ARGS="--feeds 5"`.
# bench.scale needs a database: `.ci/with-postgres make bench BENCHES=scale`.
BENCHES ?= ingest digest sentiment interactions
BENCH_ARGS ?=
bench: $(STAMP)
	@for name in $(BENCHES); do \
		echo "== python -m bench.$$name $(BENCH_ARGS)"; \
		$(BIN)/python -m bench.$$name $(BENCH_ARGS) || exit 1; \
	done

i18n-extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k N_ -k ngettext:1,2 -k T -k locale_str -o locales/messages.pot .

i18n-update: i18n-extract
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

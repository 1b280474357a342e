# ssmtheory — the two commands (README):
#   make run    set up .venv (first time), execute every notebook with papermill -> figures/, results/claims.json, REPORT.md
#   make test   set up .venv (first time), run unit + property tests and nbval over notebooks/
# Other targets: make full (paper-scale profile), make bench, make lab, make notebooks, make clean.

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
JOBS   ?= 1
# pytest workers: notebooks are distributed whole (--dist loadfile) so that each runs in one kernel
TEST_JOBS ?= 2
PYTEST := JAX_PLATFORMS=cpu $(BIN)/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) --dist loadfile
NBVAL  := --nbval-lax --nbval-current-env --nbval-cell-timeout=900
PYTEST_ARGS ?=
export MPLBACKEND := agg
export PYTHONHASHSEED := 0

.PHONY: setup run full test test-unit test-notebooks bench lab notebooks clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/ssmtheory run --profile quick --jobs $(JOBS)

full: $(STAMP)
	$(BIN)/ssmtheory run --profile full --jobs $(JOBS)

test: $(STAMP)
	$(PYTEST) tests notebooks $(NBVAL) $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PYTEST) tests

test-notebooks: $(STAMP)
	$(PYTEST) notebooks $(NBVAL)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_apply.py

lab: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,lab]"
	$(BIN)/jupyter lab notebooks/

# regenerate the .ipynb files from their jupytext py:percent sources (outputs stripped)
notebooks: $(STAMP)
	$(BIN)/jupytext --to ipynb notebooks/[0-9][0-9]_*.py

clean:
	rm -rf results .pytest_cache

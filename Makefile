# ssmtheory — the two commands (README):
#   make run    set up .venv (first time), execute every notebook (quick profile) into the run folder results/
#               (figures, claims, executed notebooks, timings, REPORT.md/.html); the committed tree is not touched
#   make test   set up .venv (first time), run unit + property tests and nbval over notebooks/, and compare
#               every notebook's claims with tests/expected_claims/
# Other targets: make full (paper-scale profile), make publish (a complete full run -> figures/, REPORT.md,
# REPORT.html, docs/executed/), make lab, make notebooks, make expect-update, make bench, make bench-suite,
# make test-gpu, make test-min, make clean.

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
# make lab: JupyterLab for a headless or remote machine (open the printed URL, or tunnel: ssh -L 8888:localhost:8888)
LAB_IP   ?= 127.0.0.1
LAB_PORT ?= 8888
LAB_ARGS ?=
# set LAB_ALLOW_ROOT=1 to let JupyterLab run as root (containers); never implied
LAB_ALLOW_ROOT ?=
LAB_STAMP := $(VENV)/.lab-stamp
CUDA_STAMP := $(VENV)/.cuda-stamp
# inside .venv/ so that it is gitignored with it
MIN_VENV ?= $(VENV)/min-versions
export MPLBACKEND := agg
export PYTHONHASHSEED := 0

.PHONY: setup git-filter run full publish test test-unit test-notebooks test-gpu test-min bench bench-suite lab notebooks expect-update clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

# `make setup` also strips notebook outputs on commit (git clean filter, see .gitattributes and ssmtheory/harness/nbstrip.py),
# so running and saving notebooks in JupyterLab never commits outputs
setup: $(STAMP) git-filter

git-filter:
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
	  git config filter.nbstrip.clean "$(BIN)/python -m ssmtheory.harness.nbstrip" && \
	  git config filter.nbstrip.smudge cat && \
	  echo "git filter nbstrip configured: notebooks/*.ipynb are committed without outputs"; fi

run: $(STAMP)
	$(BIN)/ssmtheory run --profile quick --jobs $(JOBS)

full: $(STAMP)
	$(BIN)/ssmtheory run --profile full --jobs $(JOBS)

# copy a complete full-profile run (make full) into the committed gallery; refused otherwise
publish: $(STAMP)
	$(BIN)/ssmtheory publish

test: $(STAMP)
	$(PYTEST) tests notebooks $(NBVAL) $(PYTEST_ARGS)

test-unit: $(STAMP)
	$(PYTEST) tests $(PYTEST_ARGS)

test-notebooks: $(STAMP)
	$(PYTEST) notebooks $(NBVAL) $(PYTEST_ARGS)

# core tests and notebook 00 on a GPU (installs jax[cuda12] into .venv once); says so and stops when there is none
GPU_TESTS ?= tests/test_ssm.py tests/test_norms.py tests/test_init.py tests/test_models.py tests/test_train.py
$(CUDA_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,cuda]"
	@touch $(CUDA_STAMP)

test-gpu: $(CUDA_STAMP)
	@if ! JAX_PLATFORMS=cuda $(BIN)/python -c "import jax; jax.devices('gpu')" >/dev/null 2>&1; then \
	  echo "make test-gpu: no CUDA GPU visible to JAX here; nothing run"; exit 0; fi; \
	JAX_PLATFORMS=cuda XLA_PYTHON_CLIENT_PREALLOCATE=false $(BIN)/python -m pytest -q -p no:cacheprovider \
	  $(GPU_TESTS) notebooks/00_ssm_core.ipynb $(NBVAL) $(PYTEST_ARGS)

# the core tests against the minimum versions of constraints/minimum.txt, in a separate $(MIN_VENV)
$(MIN_VENV)/.installed-stamp: pyproject.toml constraints/minimum.txt
	$(PYTHON) -m venv $(MIN_VENV)
	$(MIN_VENV)/bin/python -m pip install -q --upgrade pip
	$(MIN_VENV)/bin/python -m pip install -q -c constraints/minimum.txt -e ".[dev]"
	@touch $@

test-min: $(MIN_VENV)/.installed-stamp
	JAX_PLATFORMS=cpu SSMTHEORY_JAX_CACHE_DIR=$(MIN_VENV)/jax_cache $(MIN_VENV)/bin/python -m pytest -q -p no:cacheprovider -n $(TEST_JOBS) $(GPU_TESTS) \
	  tests/test_stats.py tests/test_param.py tests/test_tasks.py tests/test_plotting.py tests/test_cli.py tests/test_paths.py \
	  tests/test_expectations.py tests/test_packaging.py tests/test_runner.py $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_apply.py

# quick run and unit tests, cold and warm JAX compilation cache; appends to benchmarks/suite_history.jsonl
bench-suite: $(STAMP)
	$(BIN)/python benchmarks/bench_suite.py

$(LAB_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e ".[dev,lab]"
	@mkdir -p $(VENV)/share/jupyter/lab/settings
	@echo '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"python": "Jupytext Notebook"}}}' \
	  > $(VENV)/share/jupyter/lab/settings/overrides.json
	@touch $(LAB_STAMP)

# serves the repo root (notebooks/, figures/, results/, REPORT.md); a .py notebook opens as a notebook
lab: $(LAB_STAMP) git-filter
	$(BIN)/jupyter lab --no-browser --ip=$(LAB_IP) --port=$(LAB_PORT) --ServerApp.root_dir="$(CURDIR)" \
	  $(if $(LAB_ALLOW_ROOT),--allow-root) $(LAB_ARGS)

# regenerate the .ipynb files from their jupytext py:percent sources; --update keeps cell ids (no churn)
notebooks: $(STAMP)
	$(BIN)/jupytext --to ipynb --update notebooks/[0-9][0-9]_*.py

# regenerate tests/expected_claims/ from a fresh quick run (commit the result when a change is intended);
# --jobs $(TEST_JOBS) gives the kernels the same thread settings as make test's $(TEST_JOBS) workers
expect-update: $(STAMP)
	rm -rf results/expect
	-$(BIN)/ssmtheory run --profile quick --jobs $(TEST_JOBS) --results-dir results/expect
	$(BIN)/ssmtheory expect-update --results-dir results/expect

clean:
	rm -rf results .pytest_cache

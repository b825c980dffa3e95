# Two commands matter: `make demo` and `make test`. Both set up .venv themselves.
# With CI=true, `make test` also runs the suite on the oldest supported versions (Python
# 3.10 and the pins of constraints/minimum.txt) and on the newest (Python 3.13, the latest
# releases), each in its own venv: `make test-oldest`, `make test-newest`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck unit install dev clean browser bench fuzz test-oldest test-newest notebook

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml setup.py src/linreg/solvers/_kernels.c src/linreg/solvers/_kernels_general.c src/linreg/solvers/_kernels_gram.c
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP): $(BIN)/python pyproject.toml setup.py src/linreg/solvers/_kernels.c src/linreg/solvers/_kernels_general.c src/linreg/solvers/_kernels_gram.c
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed
dev: $(STAMP)

demo: $(VENV)/.installed
	$(BIN)/linreg demo --out results/

# JupyterLab on the notebooks, in the venv: the `notebook` extra is installed the first time.
notebook: $(STAMP)
	@$(BIN)/python -c "import jupyterlab" 2>/dev/null || $(BIN)/python -m pip install --quiet -e ".[dev,notebook]"
	$(BIN)/jupyter lab --notebook-dir=notebooks

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/mypy benchmarks/bench.py  # the harness, outside the package

# Headless Chromium for the report's browser test: installed when root, else that test skips.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "could not install chromium: the browser tests will be skipped"; \
	  else echo "chromium not found (install it as root): the browser tests will be skipped"; fi

unit: $(STAMP) browser
	MPLBACKEND=Agg $(BIN)/python -m pytest

test: lint typecheck unit
ifeq ($(CI),true)
test: test-oldest test-newest
endif

# The supported range's two ends; lint and mypy run once, above, not here.
# pyenv's interpreter where pyenv has that version, else pythonX.Y from PATH.
find_python = $(shell p=$$(pyenv prefix $(1) 2>/dev/null) && echo $$p/bin/python$(1) || echo python$(1))
PYTHON_OLDEST ?= $(call find_python,3.10)
PYTHON_NEWEST ?= $(call find_python,3.13)
VERSIONS := import sys, numpy, scipy, pandas, matplotlib, sklearn, pyarrow, dask, hypothesis; \
  print(f"Python {sys.version.split()[0]}", *(f"{m.__name__} {m.__version__}" for m in \
  (numpy, scipy, pandas, matplotlib, sklearn, pyarrow, dask, hypothesis)), sep=", ")

.venv-oldest/.installed-dev: pyproject.toml setup.py src/linreg/solvers/_kernels.c src/linreg/solvers/_kernels_general.c constraints/minimum.txt
	rm -rf .venv-oldest
	$(PYTHON_OLDEST) -m venv .venv-oldest
	.venv-oldest/bin/python -m pip install --quiet --upgrade pip
	.venv-oldest/bin/python -m pip install --quiet -e ".[dev]" -c constraints/minimum.txt
	.venv-oldest/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

.venv-newest/.installed-dev: pyproject.toml setup.py src/linreg/solvers/_kernels.c src/linreg/solvers/_kernels_general.c src/linreg/solvers/_kernels_gram.c
	rm -rf .venv-newest
	$(PYTHON_NEWEST) -m venv .venv-newest
	.venv-newest/bin/python -m pip install --quiet --upgrade pip
	.venv-newest/bin/python -m pip install --quiet -e ".[dev]"
	.venv-newest/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

test-oldest: .venv-oldest/.installed-dev browser
	@.venv-oldest/bin/python -c '$(VERSIONS)'
	MPLBACKEND=Agg .venv-oldest/bin/python -m pytest

test-newest: .venv-newest/.installed-dev browser
	@.venv-newest/bin/python -c '$(VERSIONS)'
	MPLBACKEND=Agg .venv-newest/bin/python -m pytest

# The property-based fuzzers (readers, loaders, CLI) with many more cases than `make test`.
fuzz: $(STAMP)
	LINREG_FUZZ=long MPLBACKEND=Agg $(BIN)/python -m pytest -m fuzz -q

# Benchmarks are measurements, not tests: medians side by side, see benchmarks/README.md.
# The harness is benchmarks/bench.py (not in the package); its rivals come with ".[dev]"
# (scikit-learn), PyTorch CPU is a manual install (see benchmarks/README.md).
bench: $(STAMP)
	MPLBACKEND=Agg PYTHON=$(BIN)/python sh benchmarks/run.sh

clean:
	rm -rf $(VENV) .venv-oldest .venv-newest results build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
	rm -f src/linreg/solvers/_kernels*.so src/linreg/solvers/_kernels*.pyd

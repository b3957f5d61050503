# Two entry points for a fresh clone (see README):
#   make quickstart   set everything up, then run the main job
#   make test         set everything up, then lint, build the docs and run every test
# Set-up is a virtual environment in .venv, rebuilt only when a pyproject.toml changes.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGIN_DIRS := $(patsubst %/pyproject.toml,%,$(wildcard plugins/*/pyproject.toml))
STAMP := $(VENV)/.installed

.PHONY: setup quickstart test lint docs bench clean

$(STAMP): pyproject.toml $(wildcard plugins/*/pyproject.toml)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# torch first, pinned: 2.13.0 is the CPU build; an unpinned torch pulls a CUDA build.
	$(BIN)/python -m pip install -q torch==2.13.0 "setuptools>=64" wheel
	$(BIN)/python -m pip install -q --no-build-isolation -e ".[dev]" \
		$(foreach d,$(PLUGIN_DIRS),-e "$(d)[test]")
	touch $@

setup: $(STAMP)

quickstart: $(STAMP)
	$(BIN)/tessera plugins
	$(BIN)/tessera run

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

docs: $(STAMP)
	$(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

test: lint docs
	$(BIN)/python -m pytest -q

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) site runs

# The two quick-start commands: `make demo` (the main job) and `make test` (the whole suite).
# Each sets itself up on a fresh machine: a virtual environment in .venv and an editable install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml examples/inpaintkit-sdwebui/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,sdk-compat]'
	$(BIN)/python -m pip install --quiet -e examples/inpaintkit-sdwebui
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/inpaintkit demo --out out

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check core providers mockserver conformance

typecheck: $(STAMP)
	.ci/typecheck

test: $(STAMP)
	$(BIN)/ruff check .
	.ci/typecheck
	.ci/imports
	$(BIN)/python -m pytest -q -n 2 -p no:randomly

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info out .coverage .coverage.*

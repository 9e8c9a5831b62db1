# The two quick-start commands: `make demo` (the main job) and `make test` (the whole suite).
# Each sets itself up on a fresh machine: a virtual environment in .venv and an editable install.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
LINKS := $(VENV)/.links-stamp
# The editable install is setuptools' "strict" mode: build/__editable__.*/inpaintkit/ is a tree of
# links to core/, providers/, mockserver/ and conformance/ on a plain .pth path, which mypy,
# pyright and editors follow (the default mode's import hook they cannot).  Editing a module needs
# nothing; adding or removing one relinks (the folders' timestamps change).
EDITABLE := --config-settings editable_mode=strict
SOURCE_DIRS := core providers $(wildcard providers/*/) mockserver mockserver/contracts conformance

.PHONY: demo test lint typecheck bench clean

$(STAMP): pyproject.toml examples/inpaintkit-sdwebui/pyproject.toml examples/inpaintkit-openai/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,dev,sdk-compat]' $(EDITABLE)
	$(BIN)/python -m pip install --quiet -e examples/inpaintkit-sdwebui
	$(BIN)/python -m pip install --quiet -e examples/inpaintkit-openai
	touch $(STAMP) $(LINKS)

$(LINKS): $(STAMP) $(SOURCE_DIRS)
	$(BIN)/python -m pip install --quiet --no-deps -e . $(EDITABLE)
	touch $(LINKS)

demo: $(LINKS)
	$(BIN)/inpaintkit demo --out out

lint: $(LINKS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check core providers mockserver conformance

typecheck: $(LINKS)
	.ci/typecheck

test: $(LINKS)
	$(BIN)/ruff check .
	.ci/typecheck
	.ci/imports
	$(BIN)/python -m pytest -q -n 2 -p no:randomly

bench: $(LINKS)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info out .coverage .coverage.*

# GameDay Kit: `make lab` runs the kit, `make test` passes the tests.
# Both work on a fresh machine with only python3 (3.11+) and make.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DATASET ?= datasets/leaked-key
PORT   ?= 8888

.PHONY: lab test lint format unit notebooks bench dataset browser clean help

help:
	@echo "make lab       set up .venv, generate the default data set, start JupyterLab"
	@echo "make test      set up .venv, then lint, unit tests and notebook tests"
	@echo "make lint      ruff check + ruff format --check"
	@echo "make browser   install Debian's chromium for the browser tests (apt-get, once)"
	@echo "make bench     run the speed benchmarks (numbers go in README)"
	@echo "make notebooks rebuild notebooks/ and answers/ from answers/source"
	@echo "make clean     remove .venv and generated data sets"

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "GameDay Kit needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(DATASET)/gameday.duckdb: | $(STAMP)
	$(BIN)/gameday generate --out $(DATASET)

dataset: $(STAMP) $(DATASET)/gameday.duckdb

# root (a container, a CI box) must say so to JupyterLab
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)

lab: dataset
	@echo "Starting JupyterLab on notebooks/: open the http://127.0.0.1:$(PORT)/lab?token=... URL below"
	$(BIN)/jupyter lab --no-browser --ip=127.0.0.1 --port=$(PORT) $(ALLOW_ROOT) --ServerApp.root_dir=notebooks

# Debian's chromium, which the browser tests drive through Playwright (Playwright's own
# browser download is not used). Installed once with apt-get, as root or through sudo;
# where neither works, say so and go on: those tests then skip, saying why.
CHROMIUM := /usr/bin/chromium
AS_ROOT  := $(if $(filter 0,$(shell id -u)),,sudo -n)

browser:
	@if [ -x $(CHROMIUM) ]; then exit 0; fi; \
	if ! command -v apt-get >/dev/null; then \
	  echo "make browser: no apt-get: install Chromium as $(CHROMIUM) yourself (the browser tests skip without it)"; \
	  exit 0; fi; \
	if [ -n "$(AS_ROOT)" ] && ! sudo -n true 2>/dev/null; then \
	  echo "make browser: installing chromium needs root: run 'sudo apt-get install chromium' (the browser tests skip without it)"; \
	  exit 0; fi; \
	echo "make browser: installing Debian's chromium for the browser tests"; \
	$(AS_ROOT) apt-get update -qq && \
	$(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

lint: $(STAMP)
	$(BIN)/ruff check helpers tests benchmarks answers/source
	$(BIN)/ruff format --check helpers tests benchmarks answers/source

unit: $(STAMP)
	$(BIN)/pytest -n auto --dist loadgroup -m 'not slow'

test: lint browser $(STAMP)
	$(BIN)/pytest -n auto --dist loadgroup  # a worker per core; a scenario's tests on one

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_queries.py
	$(BIN)/python benchmarks/bench_server.py

format: $(STAMP)
	$(BIN)/ruff format helpers tests benchmarks answers/source
	$(BIN)/ruff check --fix helpers tests benchmarks answers/source

# rebuild the participant and solution notebooks from answers/source (no outputs)
notebooks: $(STAMP)
	$(BIN)/python answers/source/make_notebooks.py

clean:
	rm -rf $(VENV) datasets/*/

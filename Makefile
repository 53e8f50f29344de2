# Eloket: `make run` serves the demo, `make test` runs the whole suite.
# Both create .venv/ with a Python 3.12+ and install from requirements/constraints.txt.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
DEPS := pyproject.toml requirements/constraints.txt

# The first interpreter of 3.12 or newer: pyenv's 3.12 when .python-version selects it.
PYTHON := $(shell for p in python3.12 python3.13 python3.14 python3; do \
	  if command -v $$p >/dev/null 2>&1 && PYENV_VERSION=$$(cat .python-version 2>/dev/null) $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	    echo "PYENV_VERSION=$$(cat .python-version 2>/dev/null) $$p"; break; fi; done)

.PHONY: run cluster cluster-stop test lint typecheck check-migrations messages lock clean bench browser-deps help

help:
	@echo "make run    serve the demo on http://127.0.0.1:$(PORT)"
	@echo "make cluster  web nodes, workers, nginx, PostgreSQL, Redis on 127.0.0.1:8088 (make cluster-stop)"
	@echo "             REPLICA=1: a streaming read replica; S3=1: media and attachments on S3 (moto)"
	@echo "make test   run the whole test suite"

$(BIN)/python:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "Eloket needs Python 3.12 or newer (Django 6.1), and none was found."; \
	  echo "Install one (e.g. 'pyenv install 3.12') and run make again."; exit 1; fi
	@echo "==> Creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): $(BIN)/python $(DEPS)
	@echo "==> Installing Eloket and its dependencies (pinned in requirements/constraints.txt)"
	@$(BIN)/pip install --progress-bar on --disable-pip-version-check -c requirements/constraints.txt -e . \
	  | grep -vE '^(Requirement already satisfied|  )' || true
	@$(BIN)/python -c 'import eloket, django, gunicorn' || { echo "Install failed"; exit 1; }
	@touch $@

$(STAMP_TEST): $(STAMP_RUN)
	@echo "==> Installing the test tools"
	@$(BIN)/pip install --progress-bar on --disable-pip-version-check -c requirements/constraints.txt -e '.[test]' \
	  | grep -vE '^(Requirement already satisfied|  )' || true
	@$(BIN)/python -c 'import pytest, pytest_django, playwright' || { echo "Install failed"; exit 1; }
	@touch $@

node_modules/axe-core/axe.min.js: package.json
	@echo "==> Installing axe-core (accessibility checks) from npm"
	@npm install --no-audit --no-fund --silent || echo "npm unavailable: browser accessibility tests will be skipped"
	@touch -c $@

run: $(STAMP_RUN)
	@ELOKET_DEMO=1 PORT=$(PORT) $(BIN)/eloket run

# S3=1: the media and attachments in an S3-compatible server (moto's, from the test tools).
cluster: $(STAMP_RUN) $(if $(filter-out 0,$(S3)),$(STAMP_TEST))
	@CLUSTER_PORT=$(or $(CLUSTER_PORT),8088) REPLICA=$(REPLICA) S3=$(S3) $(BIN)/python scripts/cluster.py start

cluster-stop:
	@$(BIN)/python scripts/cluster.py stop

test: $(STAMP_TEST) node_modules/axe-core/axe.min.js
	@$(BIN)/pytest $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP_TEST)
	$(BIN)/mypy

check-migrations: $(STAMP_RUN)
	$(BIN)/eloket makemigrations --check --dry-run

messages: $(STAMP_RUN)
	$(BIN)/python scripts/messages.py

bench: $(STAMP_TEST)
	$(BIN)/python benchmarks/pages.py

lock: $(BIN)/python
	rm -rf /tmp/eloket-lock && $(PYTHON) -m venv /tmp/eloket-lock
	/tmp/eloket-lock/bin/pip install --quiet -e '.[test]'
	( echo "# Pinned versions of every package Eloket installs (runtime and test). Regenerate with"; \
	  echo "# \`make lock\` after changing pyproject.toml; \`make run\` and \`make test\` install with -c."; \
	  /tmp/eloket-lock/bin/pip freeze --exclude-editable ) > requirements/constraints.txt

clean:
	rm -rf $(VENV) node_modules var/static

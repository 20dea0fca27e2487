# Minka: `make run` serves the app with demo data, `make test` runs the whole suite.
# Works on a fresh Debian 12 machine: the virtualenv and (as root) the system packages
# the tests need are installed on first use.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
MESSAGE ?=

# The locks pin every package with its hashes; .venv installs exactly them (and Minka itself,
# editable, without dependencies) once per change of a lock or of pyproject.toml.
RUNTIME_LOCK := requirements/runtime.txt
DEV_LOCK := requirements/dev.txt
RUNTIME_STAMP := $(VENV)/.installed-stamp
DEV_STAMP := $(VENV)/.installed-dev-stamp
PIP_INSTALL = $(1)/pip install --disable-pip-version-check -q

# `make lock` runs uv from a virtualenv of its own; `make test-latest` uses another one.
TOOLS_VENV := .venv-tools
UV_VERSION := 0.13.9
UV_STAMP := $(TOOLS_VENV)/.uv-$(UV_VERSION)
LATEST_VENV := .venv-latest
CATALOGS = $(wildcard translations/*/LC_MESSAGES/messages.po)
LANGUAGES := es en

.PHONY: help run test hosts test-latest lock bench bench-postgres translations \
	compile-translations lint format \
	migration system-deps clean distclean

help:
	@echo "make run          serve Minka with demo data on http://$(HOST):$(PORT)/"
	@echo "make test         the test suite on SQLite, then on a throw-away PostgreSQL"
	@echo "                  (extra pytest arguments: make test PYTEST_ARGS='-k login')"
	@echo "                  both install exactly the locks in requirements/ (with hashes)"
	@echo "make lock         regenerate requirements/*.txt from pyproject.toml (newest allowed)"
	@echo "make test-latest  the suite in .venv-latest, at the newest versions pyproject allows"
	@echo "make hosts        two web hosts, a worker, PostgreSQL and Redis here (try multi-host)"
	@echo "make bench        run every bench/bench_*.py"
	@echo "make bench-postgres  the load benchmarks on PostgreSQL at 100,000 and 1,000,000 producers"
	@echo "make translations extract messages, update the catalogues, compile them"
	@echo "make migration MESSAGE='...'  autogenerate an Alembic revision from the models"
	@echo "make lint         ruff check and ruff format --check"
	@echo "make clean        remove caches, build files and compiled catalogues"
	@echo "make distclean    clean, and remove the virtualenvs"

# --- environment -------------------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import ensurepip' 2>/dev/null || { \
	  echo "error: $(PYTHON) cannot create virtualenvs; install it with:" >&2; \
	  echo "  apt-get install -y python3-venv" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): $(RUNTIME_LOCK) pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,$(BIN)) --require-hashes -r $(RUNTIME_LOCK)
	$(call PIP_INSTALL,$(BIN)) --no-deps -e .
	@touch $@

# The dev lock holds the runtime one at the same versions, so it stands for both.
$(DEV_STAMP): $(DEV_LOCK) pyproject.toml | $(BIN)/python
	$(call PIP_INSTALL,$(BIN)) --require-hashes -r $(DEV_LOCK)
	$(call PIP_INSTALL,$(BIN)) --no-deps -e .
	@touch $@ $(RUNTIME_STAMP)

$(UV_STAMP):
	$(PYTHON) -m venv $(TOOLS_VENV)
	$(call PIP_INSTALL,$(TOOLS_VENV)/bin) 'uv==$(UV_VERSION)'
	@touch $@

# Debian's chromium drives the browser tests; PostgreSQL's server binaries run the second
# pass; redis-server carries the matching runs' job queue (the suite starts its own). As root
# the missing ones are installed, otherwise the message says what to install.
system-deps:
	@missing=""; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v redis-server >/dev/null 2>&1 || missing="$$missing redis-server"; \
	[ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing$$missing =="; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq $$missing </dev/null; \
	  else \
	    echo "error: the tests need the Debian packages: chromium postgresql redis-server nginx" >&2; \
	    echo "missing:$$missing; install them with:" >&2; \
	    echo "  sudo apt-get install -y$$missing" >&2; \
	    exit 1; \
	  fi; \
	fi

compile-translations: | $(RUNTIME_STAMP)
	@if [ -n "$(CATALOGS)" ]; then \
	  $(BIN)/pybabel compile -d translations --statistics; \
	else \
	  echo "no catalogues under translations/: nothing to compile"; \
	fi

# --- the two commands --------------------------------------------------------------

run: $(RUNTIME_STAMP) compile-translations
	MINKA_ENV=$${MINKA_ENV:-development} $(FLASK) setup-db
	MINKA_ENV=$${MINKA_ENV:-development} $(FLASK) demo-data --if-empty
	MINKA_ENV=$${MINKA_ENV:-development} $(FLASK) run --host $(HOST) --port $(PORT)

test: system-deps $(DEV_STAMP) compile-translations
	bash scripts/run-tests.sh $(PYTEST_ARGS)

# Several web hosts, a worker, PostgreSQL and Redis on this machine, as production
# runs them (scripts/multi_host.py; HOSTS_ARGS='--hosts 3 --storage s3'). Ctrl-C stops all.
hosts: system-deps $(DEV_STAMP) compile-translations
	$(BIN)/python scripts/multi_host.py $(HOSTS_ARGS)

# --- the locks --------------------------------------------------------------------

# Newest versions pyproject.toml allows, for CPython 3.11 on Linux x86_64 (scripts/lock.sh).
lock: $(UV_STAMP)
	bash scripts/lock.sh $(TOOLS_VENV)/bin/uv

# The whole suite at the newest versions pyproject.toml allows today, in a virtualenv of its
# own (.venv stays on the locks): an upstream release that breaks Minka shows here first.
test-latest: system-deps
	@[ -x $(LATEST_VENV)/bin/python ] || $(PYTHON) -m venv $(LATEST_VENV)
	$(call PIP_INSTALL,$(LATEST_VENV)/bin) --upgrade --upgrade-strategy eager -e '.[dev]'
	@$(LATEST_VENV)/bin/python scripts/compare_lock.py $(DEV_LOCK)
	@$(LATEST_VENV)/bin/pybabel compile -d translations
	MINKA_PYTHON=$(LATEST_VENV)/bin/python bash scripts/run-tests.sh $(PYTEST_ARGS)

# --- the rest ----------------------------------------------------------------------

# One of them: make bench BENCH=bench/bench_catalogue_load.py BENCH_ARGS='--postgres'
BENCH ?= bench/bench_*.py
BENCH_ARGS ?=

bench: bench-deps $(DEV_STAMP) compile-translations
	@set -e; benches=$$(ls $(BENCH) 2>/dev/null || true); \
	if [ -z "$$benches" ]; then echo "no $(BENCH) yet"; exit 0; fi; \
	for b in $$benches; do echo "== $$b =="; $(BIN)/python $$b $(BENCH_ARGS); done

# The large worlds on PostgreSQL: the catalogue and each role's main pages under load at
# 100,000 and 1,000,000 producers (the first run builds and caches each world; the 1M one takes
# over an hour here, most of it pairing overlapping plots: see the README).
bench-postgres: bench-deps $(DEV_STAMP) compile-translations
	$(BIN)/python bench/bench_catalogue_load.py --postgres
	$(BIN)/python bench/bench_catalogue_load.py --postgres-only --producers 1000000
	@for n in 100000 1000000; do \
	  echo "== bench/bench_pages_load.py --postgres --producers $$n =="; \
	  $(BIN)/python bench/bench_pages_load.py --postgres --producers $$n || exit 1; \
	done

# Debian's wrk drives the load benchmark: installed as root when missing; otherwise the
# benchmark says so and skips its load runs.
.PHONY: bench-deps
bench-deps:
	@if ! command -v wrk >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "== installing wrk =="; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq wrk </dev/null; \
	  else \
	    echo "wrk is missing and this is not root: the load runs will be skipped" \
	      "(install it with: sudo apt-get install -y wrk)"; \
	  fi; \
	fi

translations: | $(RUNTIME_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -o translations/messages.pot .
	@for lang in $(LANGUAGES); do \
	  if [ -f translations/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i translations/messages.pot -d translations -l $$lang \
	      --no-fuzzy-matching --ignore-obsolete -w 100 || exit 1; \
	  else \
	    $(BIN)/pybabel init -i translations/messages.pot -d translations -l $$lang || exit 1; \
	  fi; \
	done
	$(BIN)/python scripts/fill_spanish_catalog.py
	$(BIN)/pybabel compile -d translations --statistics

# Autogenerate a revision against a throw-away SQLite database brought to head first, so
# the new file holds only what the models changed since the last migration.
migration: | $(RUNTIME_STAMP)
	@[ -n "$(MESSAGE)" ] || { echo 'usage: make migration MESSAGE="what changed"' >&2; exit 2; }
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	export MINKA_ENV=development MINKA_INSTANCE_PATH="$$tmp" \
	  MINKA_DATABASE_URL="sqlite:///$$tmp/migration.sqlite3"; \
	$(FLASK) db upgrade && $(FLASK) db migrate -m "$(MESSAGE)"

lint: | $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: | $(DEV_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	find . -name '.venv*' -prune -o -name __pycache__ -type d -exec rm -rf {} +
	find translations -name '*.mo' -delete 2>/dev/null || true
	rm -rf build *.egg-info .pytest_cache .ruff_cache test-results

distclean: clean
	rm -rf $(VENV) $(LATEST_VENV) $(TOOLS_VENV)

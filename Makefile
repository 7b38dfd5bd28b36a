# Customer Segment Service: `make run` starts a demo server, `make test` runs every check.
# Works from a fresh clone: the first target that needs Python creates .venv.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_WORKERS ?= 2

# The settings read DATABASE_URL (PostgreSQL when set, the embedded SQLite db.sqlite3
# otherwise). An empty value would not fall back to SQLite, so it is dropped.
ifeq ($(strip $(DATABASE_URL)),)
unexport DATABASE_URL
DATABASE := SQLite
else
DATABASE := the DATABASE_URL database
endif

.PHONY: help venv install run serve test lint clean

help:
	@echo "make run    install, migrate, load demo data, serve on http://$(HOST):$(PORT)/ with a job worker and the scheduler"
	@echo "make serve  production-like: gunicorn + WhiteNoise, DEBUG off (needs SECRET_KEY)"
	@echo "make test   install, import-linter, pytest (fast suite on $(PYTEST_WORKERS) workers, then slow), ruff"
	@echo "make lint   ruff check . and import-linter"
	@echo "make venv   create .venv and install the project with its test extras"
	@echo "make clean  remove .venv, the SQLite database and caches"

venv install: $(STAMP)

# Re-installs only when pyproject.toml changes (or the venv is gone).
$(STAMP): pyproject.toml
	@echo "== Installing into $(VENV) =="
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@

run: $(STAMP)
	@echo "== Migrating ($(DATABASE)) =="
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	@echo "== Loading demo data =="
	DEBUG=true $(BIN)/python manage.py load_demo --host $(HOST) --port $(PORT)
	@echo "== Serving on http://$(HOST):$(PORT)/ with one background worker, the evaluation scheduler and the event pruner (Ctrl-C stops all) =="
	DEBUG=true WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true setsid $(BIN)/python manage.py db_worker --verbosity 0 & worker=$$!; \
	DEBUG=true setsid $(BIN)/python manage.py evaluate_segments --due --enqueue --every 60 >/dev/null & scheduler=$$!; \
	DEBUG=true setsid $(BIN)/python manage.py prune_events --enqueue --every 3600 >/dev/null & pruner=$$!; \
	trap 'kill -TERM -- -$$worker -$$scheduler -$$pruner 2>/dev/null || true; wait $$worker $$scheduler $$pruner 2>/dev/null || true' EXIT; \
	DEBUG=true $(BIN)/python manage.py runserver $(HOST):$(PORT)

# Production-like: DEBUG off, gunicorn, collected static files served by WhiteNoise.
# Needs SECRET_KEY and ALLOWED_HOSTS (and DATABASE_URL, REDIS_URL in production).
serve: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	exec $(BIN)/gunicorn -c segments_project/gunicorn.conf.py

test: $(STAMP)
	@echo "== import-linter: layers and forbidden imports =="
	$(BIN)/lint-imports
	@echo "== pytest: fast suite on $(DATABASE), $(PYTEST_WORKERS) workers =="
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) -m "not slow"
	@echo "== pytest: slow suite on $(DATABASE) =="
	@status=0; $(BIN)/pytest -q -m slow || status=$$?; \
	if [ "$$status" -eq 5 ]; then echo "(no slow tests collected: nothing to run)"; \
	elif [ "$$status" -ne 0 ]; then exit "$$status"; fi
	@echo "== ruff =="
	$(BIN)/ruff check .

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .import_linter_cache .hypothesis staticfiles build *.egg-info
	rm -f db.sqlite3 db.sqlite3-journal db.sqlite3-wal db.sqlite3-shm
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

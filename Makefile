# Developer workflow. GNU make; needs only Python 3.11 on the machine.
#   make run    set up .venv, upgrade the database, load the demo, serve on 127.0.0.1:5000
#   make test   set up .venv with the test tools and run the whole suite (PYTEST_ARGS=...)
#   make lint   ruff, the import contracts (lint-imports, .importlinter) and dead code (vulture)
#   make bench  the page benchmark (needs wrk; see bench/pages.py)
#   make e2e    the browser tests (Playwright + Debian's Chromium + axe-core + vnu-jar; see tests/e2e/)

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
TRANSLATIONS := webinar_app/translations

# Stamps live inside .venv, so deleting .venv starts everything afresh.
RUN_STAMP := $(VENV)/.make-requirements
DEV_STAMP := $(VENV)/.make-requirements-dev
E2E_STAMP := $(VENV)/.make-requirements-e2e
AXE_STAMP := tests/e2e/node/node_modules/.make-axe
CHROMIUM := /usr/bin/chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: help run serve test lint bench translations catalogues e2e

help:
	@echo "make run    - install, upgrade the database, load the demo and serve on http://$(HOST):$(PORT)"
	@echo "make test   - install the test tools and run the suite (PYTEST_ARGS='-k name' to narrow)"
	@echo "make lint   - ruff, the import layers and cycles (lint-imports), dead code (vulture)"
	@echo "make e2e    - the browser tests (installs Chromium from Debian, axe-core and vnu-jar from npm when missing)"
	@echo "make translations - re-extract the messages into the catalogues (then translate)"
	@echo "make bench  - benchmark the public pages against a bare Flask app (needs wrk)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found (looked for python3.11 and python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "$(PYTHON) is older than Python 3.11; run: make PYTHON=/path/to/python3.11 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

$(DEV_STAMP): requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@ $(RUN_STAMP)

# Compile the committed .po catalogues to .mo (git-ignored); fuzzy entries are left out.
# A file target: compiled only when a .po is newer, so two `make test` at once never rewrite it.
PO_FILES := $(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
catalogues: $(MO_FILES)

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po | $(RUN_STAMP)
	$(VENV)/bin/pybabel compile --statistics -d $(TRANSLATIONS) -l $*

# Re-extract every message from the code and templates and merge it into the catalogues;
# then translate the new or fuzzy entries in $(TRANSLATIONS)/fr/LC_MESSAGES/messages.po.
translations: $(RUN_STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--ignore-dirs ".* node_modules __pycache__" \
		--no-location --sort-output --project webinar-app -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete --no-wrap

run: $(RUN_STAMP) catalogues
	$(FLASK) db upgrade
	BASE_URL=$${BASE_URL:-http://$(HOST):$(PORT)} $(FLASK) seed-demo --if-empty
	@$(PY) -c "from webinar_app.demo.data import DEMO_ORGANISER_EMAIL as e, DEMO_ORGANISER_PASSWORD as p; \
		print(f'\nDemo organiser login: {e} / {p}\n  at http://$(HOST):$(PORT)/auth/login\n')"
	@echo "Serving on http://$(HOST):$(PORT); links in emails and calendars point to $${BASE_URL:-http://$(HOST):$(PORT)}"
	@echo "(emails are written to instance/outbox/ unless MAIL_SERVER is set; Ctrl-C stops)"
	BASE_URL=$${BASE_URL:-http://$(HOST):$(PORT)} MAIL_BACKGROUND_DELIVERY=1 \
		$(FLASK) run --host $(HOST) --port $(PORT) --no-reload

test: $(DEV_STAMP) catalogues
	$(PY) -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

$(E2E_STAMP): requirements-e2e.txt requirements-dev.txt requirements.txt | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-e2e.txt
	@touch $@ $(DEV_STAMP) $(RUN_STAMP)

$(AXE_STAMP): tests/e2e/node/package.json tests/e2e/node/package-lock.json
	@command -v npm >/dev/null || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q npm; }
	cd tests/e2e/node && npm ci --no-audit --no-fund
	@touch $@

# Browser tests: the app under gunicorn, a real SMTP sink, Debian's Chromium (never a download).
e2e: $(E2E_STAMP) $(AXE_STAMP) catalogues
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -q && $(SUDO) apt-get install -y -q chromium; }
	E2E=1 $(PY) -m pytest tests/e2e $(PYTEST_ARGS)

# vulture reads Python only: the names the templates use (`.name`) are handed to it in a file.
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	@names=$$(mktemp --suffix=.py) && \
		grep -ohE '\.[A-Za-z_][A-Za-z0-9_]*' -r templates | sort -u | sed 's/^/_/' > $$names && \
		$(VENV)/bin/vulture webinar_app vulture_allowlist.py $$names; \
		status=$$?; rm -f $$names; exit $$status

bench: $(RUN_STAMP)
	$(PY) bench/pages.py

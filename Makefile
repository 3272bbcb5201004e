# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint format bench install messages translations clean-db worker

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall whenever a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

translations: install
	$(MANAGE) compiletranslations

run: install translations
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo --if-empty
	@echo "Background worker (django-tasks) and site at http://$(HOST):$(PORT)/"
	$(MANAGE) db_worker --queue-name '*' & WORKER=$$!; \
	trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install
	$(MANAGE) db_worker --queue-name '*'

test: install translations
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the .po catalogues from the source (needs GNU gettext's xgettext).
messages: install
	cd marketplace && ../$(MANAGE) makemessages -l zh_Hans --ignore 'settings/*'
	cd cms && ../$(MANAGE) makemessages -l zh_Hans
	cd equipment && ../$(MANAGE) makemessages -l zh_Hans
	cd ip_listings && ../$(MANAGE) makemessages -l zh_Hans

bench: install translations
	DJANGO_SETTINGS_MODULE=marketplace.settings.bench $(PY) bench/run.py

clean-db:
	rm -f db.sqlite3

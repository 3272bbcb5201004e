# Two commands do all set-up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Test processes for `make test` (pytest-xdist): auto = one per core; 0 runs in this process.
PYTEST_WORKERS ?= auto

.PHONY: run test test-hypothesis test-e2e lint format bench load-test install messages translations clean-db worker

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

# Reinstall whenever a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(VENV)/bin/activate
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed pdf-fonts

# WeasyPrint needs Pango, and Chinese documents a CJK font: Debian's packages, installed once when missing.
.PHONY: pdf-fonts
pdf-fonts:
	@{ fc-list :lang=zh family 2>/dev/null | grep -q "Noto" && ldconfig -p | grep -q libpangoft2-1.0; } || \
	  { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }

translations: install
	$(MANAGE) compiletranslations

# Links in emails point at the address the site is served on (unless SITE_URL says otherwise).
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: install translations
	$(MANAGE) migrate --no-input
	$(MANAGE) seed_demo --if-empty
	@echo "Background worker (django-tasks) and site at http://$(HOST):$(PORT)/"
	$(MANAGE) db_worker --queue-name '*' & WORKER=$$!; \
	trap "kill $$WORKER 2>/dev/null" EXIT INT TERM; \
	$(MANAGE) runserver $(HOST):$(PORT)

worker: install
	$(MANAGE) db_worker --queue-name '*'

# Property-based tests run derandomized here (hypothesis profile "ci"): the same examples every run.
test: install translations
	HYPOTHESIS_PROFILE=ci DJANGO_SETTINGS_MODULE=marketplace.settings.test $(VENV)/bin/pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

# Randomized property-based run (new examples each time; HYPOTHESIS_PROFILE=thorough for 20x as many).
# A failure prints its example and a @reproduce_failure blob, and is replayed first from .hypothesis/.
HYPOTHESIS_PROFILE ?= dev
test-hypothesis: install translations
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) DJANGO_SETTINGS_MODULE=marketplace.settings.test \
	  $(VENV)/bin/pytest tests/security/test_hostile_input.py tests/security/test_no_server_error.py $(PYTEST_ARGS)

# Real-browser tests: Playwright driving Debian's Chromium (apt-get install chromium).
# axe-core (accessibility checks in the browser tests), pinned in package-lock.json, from the npm registry.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

test-e2e: install translations node_modules/axe-core/axe.min.js
	DJANGO_SETTINGS_MODULE=marketplace.settings.test $(VENV)/bin/pytest tests/e2e -m e2e $(PYTEST_ARGS)

lint: install
	@! git grep -nE '^(<<<<<<<|>>>>>>>)( |$$)' -- . ':!*.po' || { echo "merge conflict markers committed"; exit 1; }
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Regenerate the .po catalogues from the source (needs GNU gettext's xgettext).
messages: install
	# Each folder with its own locale/ gets its own catalogue; marketplace/locale covers the
	# project templates, core and accounts.
	for d in cms equipment ip_listings marketplace/payments marketplace/statistics; do \
	  (cd $$d && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l zh_Hans --no-location) || exit 1; done
	cd marketplace && $(CURDIR)/$(PY) $(CURDIR)/manage.py makemessages -l zh_Hans --no-location \
	  --ignore 'payments/*' --ignore 'statistics/*' --ignore 'settings/*'

# Benchmarks (not in CI): PostgreSQL mk_bench at 127.0.0.1 if it answers, else SQLite; BENCH_ARGS=--reload to reload.
BENCH_ARGS ?=
bench: install translations
	DJANGO_SETTINGS_MODULE=marketplace.settings.bench $(PY) bench/run.py $(BENCH_ARGS)

# 1,000 concurrent booking attempts against gunicorn, on PostgreSQL (LOAD_PG_URL, default database mk_load on
# 127.0.0.1, started if it is not running) and on a SQLite file; see bench/LOAD.md.
load-test: install translations
	@pg_isready -h 127.0.0.1 -p 5432 -q || { pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start; \
	  for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; }
	$(PY) bench/load_booking.py

clean-db:
	rm -f db.sqlite3

# Redis for the cache tests and the smoke run: started (no persistence) if it does not answer.
.PHONY: redis test-redis smoke
redis:
	@redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || { command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; }; \
	  mkdir -p /var/lib/redis /var/log/redis; \
	  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log; \
	  for _ in $$(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.2; done; }

# The cache, booking and page-cache tests against Redis (database REDIS_TEST_DB, flushed by every test;
# with REDIS_WORKERS test processes, worker n uses database REDIS_TEST_DB + n: 8 to 9 by default).
REDIS_TEST_DB ?= 8
REDIS_WORKERS ?= 2
REDIS_TESTS ?= tests/core/test_catalogue_cache.py tests/core/test_redis_cache.py tests/equipment tests/statistics/test_figures_cache.py
test-redis: install translations redis
	REDIS_URL=redis://127.0.0.1:6379/$(REDIS_TEST_DB) DJANGO_SETTINGS_MODULE=marketplace.settings.test \
	  $(VENV)/bin/pytest -n $(REDIS_WORKERS) $(REDIS_TESTS) $(PYTEST_ARGS)

# gunicorn under production settings (PostgreSQL SMOKE_PG_URL, default mk_smoke; Redis database 6): books,
# pays by invoice, reads the dashboards; fails on any 5xx. See bench/smoke_production.py.
smoke: install translations redis
	@pg_isready -h 127.0.0.1 -p 5432 -q || { pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql)" main start; \
	  for _ in $$(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done; }
	$(PY) bench/smoke_production.py

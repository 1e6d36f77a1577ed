# Pipeline CRM — `make run` starts the whole app, `make test` runs the whole suite.
# Both set everything up first: a virtualenv with a Python >= 3.12, the pinned Python
# packages and the npm packages from package-lock.json.

VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The embedded default: SQLite, Celery's filesystem broker, a file cache, demo data.
export CRM_MODE ?= embedded

.PHONY: run test setup lint check audit bench screenshots clean mail-dev

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$(scripts/find-python) || exit 1; \
	  if [ ! -x $(PY) ]; then echo "Creating $(VENV) with $$python"; "$$python" -m venv $(VENV) || exit 1; fi
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null 2>&1 || { echo "npm is required (Node.js 18 or newer): install nodejs and npm, then rerun." >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

run: setup
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Pipeline CRM on http://$(HOST):$(PORT)/ — log in as rep1 / demo (or manager, admin)."
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" HOST=$(HOST) PORT=$(PORT) honcho start -f Procfile

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

check: setup
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py check
	$(PY) manage.py api_schema --check

# pip-audit over the lock files and bandit over our code; accepted findings are listed, each
# with a reason and a date, in security-exceptions.toml (docs/security.md).
audit: setup
	$(PY) scripts/security_audit.py

# Every benchmark from scratch on PostgreSQL at each size (a fresh database per size), the load
# test with locust against gunicorn in production settings and its integrity check; writes the
# table in docs/benchmarks.md (bench/README.md). Quick check: make bench BENCH_SIZES=1000 BENCH_DURATION=20
BENCH_SIZES ?= 1000,10000,100000
BENCH_DURATION ?= 60
BENCH_LABEL ?= latest
BENCH_BACKFILL_DAYS ?= 365
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/pipeline_crm_bench
BENCH_CACHE_URL ?= redis://127.0.0.1:6379/10
BENCH_BROKER_URL ?= redis://127.0.0.1:6379/14
bench: setup
	$(PY) bench/run_all.py --sizes $(BENCH_SIZES) --duration $(BENCH_DURATION) --label "$(BENCH_LABEL)" \
	  --backfill-days $(BENCH_BACKFILL_DAYS) --database-url $(BENCH_DATABASE_URL) \
	  --cache-url $(BENCH_CACHE_URL) --broker-url $(BENCH_BROKER_URL) $(BENCH_ARGS)
	DATABASE_URL=$(BENCH_DATABASE_URL)_nurturing CACHE_URL=locmem:// $(PY) bench/nurturing.py --people 10000 --recreate
	DATABASE_URL=$(BENCH_DATABASE_URL)_api CACHE_URL=$(BENCH_CACHE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) \
	  $(PY) bench/api.py --deals 3000 --recreate --json var/bench-api-3000.json

# A real IMAP and SMTP server on 127.0.0.1 for trying the mailbox features (Dovecot from Debian and an
# SMTP front, scripts/mailserver.py; needs root and: apt-get install -y dovecot-imapd dovecot-lmtpd).
# IMAP 14143 (STARTTLS), IMAPS 14993, SMTP 14025 (STARTTLS, login); users rep1@crm.test … with password "demo".
mail-dev: setup
	$(PY) scripts/mailserver.py serve

screenshots: setup
	$(PY) scripts/screenshots.py

clean:
	rm -rf $(VENV) node_modules var staticfiles .pytest_cache

# Active Support desk: `make run` starts the whole product, `make test` runs the whole suite.
# Both set themselves up on a fresh machine (virtualenv, packages, database).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
SIMULATOR_PORT ?= 8765

# The suite runs on the real services this machine has (see ../shared/docs/SERVICES.md).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/activesupport
TEST_BROKER_URL ?= redis://127.0.0.1:6379/14

.PHONY: run test lint install services demo bench bench-sweep bench-sla bench-pages schema fuzz clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: install
# The Kombu filesystem broker's folders must exist before the worker and beat start.
	mkdir -p var/broker/queue var/broker/processed var/broker/control
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py demo_setup --simulator-url http://127.0.0.1:$(SIMULATOR_PORT) --web-url http://127.0.0.1:$(PORT)
# exec: honcho replaces the shell, so a SIGTERM to make (which make passes on to its child) reaches honcho.
	PORT=$(PORT) SIMULATOR_PORT=$(SIMULATOR_PORT) exec $(BIN)/honcho --procfile Procfile.dev start

services:
	bash scripts/ensure-services.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
# Medium and high severity only (-ll); every accepted finding carries a `# nosec BXXX` with its reason.
	$(BIN)/bandit -q -r . -ll -x ./.venv,./var,./build
	$(BIN)/pip-audit -r requirements.txt --progress-spinner off
# The production settings as a deployment sets them; a fresh random key each run, so none is written down.
	DJANGO_PRODUCTION=true DEBUG=false ALLOWED_HOSTS=desk.example.com \
		SECRET_KEY="$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')" \
		$(BIN)/python manage.py check --deploy --fail-level WARNING

test: install services lint
	bash scripts/ensure-chromium.sh
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/pytest
	@# The same ingest and feed tests again on SQLite, the embedded default that `make run` uses.
	DATABASE_URL=sqlite:///$(CURDIR)/var/test-sqlite.sqlite3 CELERY_BROKER_URL=memory:// $(BIN)/pytest -m sqlite -q

bench: install services
	DATABASE_URL=$(TEST_DATABASE_URL) CELERY_BROKER_URL=$(TEST_BROKER_URL) $(BIN)/python bench/ingest.py

bench-sweep: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python bench/sweep.py

schema: install
	$(BIN)/python manage.py spectacular --file docs/openapi.yaml

fuzz: install services
	bash scripts/fuzz.sh

bench-sla: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python bench/sla.py

bench-pages: install services
	DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) var build

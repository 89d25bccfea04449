# Piste: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PORT ?= 8000
UV = $(shell scripts/ensure_uv.sh)
MANAGE = $(UV) run --frozen python manage.py

.PHONY: setup deps assets run test test-fast lint typecheck format messages bench clean-data

setup: deps assets

deps:
	@$(UV) sync --frozen --quiet

assets: node_modules/.package-lock.json
	@$(UV) run --frozen python scripts/copy_assets.py

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

run: export DEBUG ?= 1
run: setup
	@$(MANAGE) migrate --noinput -v 0
	@$(MANAGE) load_demo --if-empty -v 0
	@$(MANAGE) demo_sign_ins --url http://127.0.0.1:$(PORT)/
	@echo "Piste runs on http://127.0.0.1:$(PORT)/ (Ctrl-C stops it)."
	@PORT=$(PORT) scripts/run.sh "$(UV)"

test: setup
	@$(UV) run --frozen pytest $(PYTEST_ARGS)

lint:
	$(UV) run --frozen ruff check .
	$(UV) run --frozen ruff format --check .

# The django-stubs plugin loads the settings, which want DEBUG on without a real SECRET_KEY.
typecheck:
	DEBUG=1 $(UV) run --frozen mypy config piste scripts bench tests

format:
	$(UV) run --frozen ruff check --fix .
	$(UV) run --frozen ruff format .

# Regenerate the catalogs after changing strings; then translate locale/fr and run it again.
messages: deps
	$(MANAGE) makemessages -l fr -l en --no-obsolete --no-location --ignore=node_modules --ignore=.venv --ignore=static/vendor
	msgattrib --clear-fuzzy --empty --no-wrap locale/en/LC_MESSAGES/django.po \
	  | msgen --force-po --no-wrap -o locale/en/LC_MESSAGES/django.po -
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

bench: setup
	@$(UV) run --frozen python bench/run.py

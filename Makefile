# Two-command quick start: `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: venv run test lint bench screenshots clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py collectstatic --noinput -v0
	@bash -c 'trap "kill 0" EXIT; \
	  $(BIN)/celery -A config worker -B -Q solver,default --concurrency 1 --loglevel INFO & \
	  echo ""; echo "  Open http://$(HOST):$(PORT)/  (logins: sales, scheduler, manager, customer-<code>; password demo)"; echo ""; \
	  $(BIN)/python manage.py runserver $(HOST):$(PORT) --noreload'

# Extra pytest arguments, e.g. `make test PYTEST_ARGS="-n 2 -k board"`.
PYTEST_ARGS ?=

# Lint (cheap) first, then the suite. pytest's exit 5 ("no tests collected") is a failure too:
# a suite that silently collects nothing must not pass.
test: venv
	$(BIN)/ruff check .
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; exit 1; fi; \
	  exit $$status

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

bench: venv
	$(BIN)/python -m bench.run_all

# Screenshots of every page with the demo shop (needs /usr/bin/chromium).
screenshots: venv
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

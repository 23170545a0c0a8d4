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

# The demo stack: demo users with the password `demo`, and a development SECRET_KEY unless one
# is set (config/settings.py refuses to start without one outside DEBUG/DEMO).
run: export DEMO = 1
run: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py collectstatic --noinput -v0
	@bash -c 'trap "kill 0" EXIT; \
	  $(BIN)/celery -A config worker -Q solver,default --concurrency 1 --loglevel INFO & \
	  $(BIN)/celery -A config beat --loglevel INFO & \
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
	DEMO=1 $(BIN)/mypy .  # its Django plugin imports the settings, which need DEBUG, DEMO or a key

bench: export DEMO = 1
bench: venv
	$(BIN)/python -m bench.run_all

# Screenshots of every page with the demo shop (needs /usr/bin/chromium).
screenshots: export DEMO = 1
screenshots: venv
	$(BIN)/python -m tests.browser.screenshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache

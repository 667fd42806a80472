# The two commands: `make run` (everything set up, site + worker + beat) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=

.PHONY: run test install install-dev setup lint check-labs bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed (found " + sys.version.split()[0] + "); set PYTHON=python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	@touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.runtime-installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	@touch $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_course courseware/content/week6
	$(BIN)/python manage.py load_demo

run: setup
	$(BIN)/python manage.py runstack --addrport $(ADDR)

test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check .

bench: install-dev
	@ls bench/*.py >/dev/null 2>&1 && for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf var .pytest_cache .ruff_cache

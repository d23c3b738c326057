# Two commands: `make run` (Tact on the embedded default, with demo data) and `make test`
# (lint, types, import layers and the whole test suite). Both set up .venv themselves.
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tact serve --demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# The admin panel's browser tests drive Debian's chromium (never a downloaded browser).
# Installed here when running as root and missing; otherwise those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the admin panel's browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null \
			|| echo "chromium could not be installed: the browser tests will be skipped"; \
	fi

# Two test processes (pytest-xdist), each with its own PostgreSQL databases and temporary
# folders, each taking whole files. TEST_WORKERS=0 runs them in this process.
TEST_WORKERS ?= 2

test: lint browser
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: install run test lint openapi migrate bench clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

install: $(UV)
	$(UV) sync --frozen --python $(PYTHON)

run: install
	$(BIN)/ccr serve

# pytest -n 2: two workers (pytest-xdist), one per core, each with its own migrated databases.
test: install
	$(BIN)/ruff check app tests migrations scripts
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2

lint: install
	$(BIN)/ruff check app tests migrations scripts
	$(BIN)/ruff format --check app tests migrations scripts
	$(BIN)/mypy app
	$(BIN)/lint-imports --no-cache

openapi: install
	$(BIN)/ccr openapi

migrate: install
	$(BIN)/ccr migrate

clean:
	rm -rf $(VENV) $(TOOLS) var

# Fresh machine: `make demo` to try it, `make test` to run the suite. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DIR := ./demo-data

.PHONY: demo test bench clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(BIN)/activate
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	$(BIN)/contacts --data-dir $(DEMO_DIR) demo --if-empty --contacts 2000
	$(BIN)/contacts-tui --data-dir $(DEMO_DIR)

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2 --dist loadfile

bench: $(VENV)/.installed-dev
	$(BIN)/python benchmarks/store_bench.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .hypothesis

# titanaudit: every target works on a fresh machine with only Python, pip and apt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test check lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/titanaudit demo --out demo-output

test: install
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check titanaudit tests benchmarks
	$(BIN)/ruff format --check titanaudit tests benchmarks
	$(BIN)/mypy

check: lint test

bench: install
	$(BIN)/python benchmarks/fetch.py
	$(BIN)/python benchmarks/blocking.py
	$(BIN)/python benchmarks/accuracy.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache .mypy_cache .ruff_cache

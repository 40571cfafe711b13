# The project's commands; README's and CI's are the same ones: `make run` and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
HUB := $(VENV)/bin/hub
SERVICES := scripts/services.sh

export HUB_DATABASE_URL ?= postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub
export HUB_TEST_DATABASE_URL ?= postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_test
export HUB_KAFKA_BOOTSTRAP_SERVERS ?= 127.0.0.1:9092

.PHONY: help setup services services-stop run test test-fast test-unit lint migrate topics clean bench bench-registry bench-console console console-test

help:
	@echo "make run    - install and start PostgreSQL, Kafka, Prometheus; migrate; run every hub process"
	@echo "make test   - install and start PostgreSQL and Kafka; run lint and the whole test suite"
	@echo "make bench  - the hub benchmark at 1,000,000 retirees (issue 6; BENCH_ARGS to change the scale)"
	@echo "make test-fast - the same without lint and without the tests marked slow (broker restarts, process kills)"
	@echo "make clean - remove test and lint caches (keeps .venv and .local: installed services and their data)"
	@echo "make console - build the staff console (npm ci + vite build when its sources changed); console-test: its unit tests"
	@echo "make test-unit | lint | services | services-stop | migrate | topics | bench-registry | bench-console"

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@command -v python3 >/dev/null || { echo "python3 is required" >&2; exit 1; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

services:
	bash $(SERVICES) start

services-stop:
	bash $(SERVICES) stop

migrate: setup
	$(HUB) db upgrade

topics: setup
	$(HUB) topics create

run: setup console
	bash $(SERVICES) start
	bash scripts/run.sh

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy app hub channels domain connectors seed bench simulators tests
	$(VENV)/bin/lint-imports
	bash scripts/console.sh check

# The staff console: npm ci and a production build when its sources changed (served by `hub api` under /console/).
console: setup
	bash scripts/console.sh build

console-test:
	bash scripts/console.sh test

bench: setup services
	$(PY) -m bench.hub $(BENCH_ARGS)

bench-registry: setup services
	$(PY) -m bench.registry

bench-console: setup services console
	$(PY) -m bench.console $(BENCH_ARGS)

# Issue 15 item 5: a 12,000-row roster printed as PDF and XLSX (time, tracemalloc peak, ru_maxrss); needs only the font.
.PHONY: bench-printing
bench-printing: setup
	bash $(SERVICES) start fonts
	$(PY) -m bench.printing $(BENCH_ARGS)

# Issue 15 item 2 (4.8): the largest community (~12,268 people at 1,000,000 retirees) moved to a sibling community,
# time per phase, rows/s and the worker's peak memory; rolled back, so the benchmarks' database stays as it was.
.PHONY: bench-moves
bench-moves: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	$(PY) -m bench.community_move $(BENCH_ARGS)

# Issue 18: the history the query and report figures are measured on (moves, suspensions and resumptions, deaths over
# three years; sync dates since the go-live; transfers, supplementary information, residences elsewhere, talent
# service centres, archive hand-overs, pension adjustments), added once to the benchmarks' registry; idempotent per part.
.PHONY: bench-history
bench-history: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	$(PY) -m bench.history

# Issue 18 item 2: every catalogued query's first page (p50/p99) for the largest community, its district and the
# city, today and a year back, and the city-wide 6.3 XLSX export (time, peak RSS) at 1,000,000 retirees; read-only.
.PHONY: bench-queries
bench-queries: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	$(PY) -m bench.history
	$(PY) -m bench.queries $(BENCH_ARGS)

# Issue 19: the one report benchmark: p50/p99 of every summary report, every roster's first page, 7.2 and the 7.10
# sheet (community, district, city; today and a year back), 7.14 with this year's adjustment for everyone (rolled
# back), and the largest community's 7.11 roster PDF in a process of its own (seconds, tracemalloc peak, ru_maxrss;
# aim <= 10 s, < 300 MB). The PDF alone: make bench-reports BENCH_ARGS=--pdf-only; read-only.
.PHONY: bench-reports
bench-reports: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	$(PY) -m bench.history
	$(PY) -m bench.reports $(BENCH_ARGS)

# Issue 16 (2.8): a 1,000,000-row suspicious list compared with the 1,000,000 retirees of the benchmarks' database
# (time per phase, rows/s, peak RSS); rolled back, so the database stays as it was.
.PHONY: bench-suspicious
bench-suspicious: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	$(PY) -m bench.suspicious_compare $(BENCH_ARGS)

test-unit: setup
	bash $(SERVICES) start fonts
	$(PY) -m pytest tests/unit

test: setup services lint console console-test
	$(PY) -m pytest -p no:cacheprovider --durations=10

test-fast: setup services console
	$(PY) -m pytest -p no:cacheprovider --durations=10 -m "not slow"

# Caches only: .venv and .local hold the installed tools, services and their data.
clean:
	rm -rf .pytest_cache .mypy_cache .ruff_cache .hypothesis .schemathesis .import_linter_cache build *.egg-info
	find . -path ./.venv -prune -o -path ./.local -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# Issue 15 item 1 (3.1-3.3): a 1,000-person archive hand-over of the largest employer drafted, submitted and received
# at 1,000,000 retirees, and its roster as PDF/XLSX (time, statements, tracemalloc, ru_maxrss); rolled back.
.PHONY: bench-handover
bench-handover: setup services
	bash $(SERVICES) start fonts
	$(PY) -m bench.handover $(BENCH_ARGS)

# Issue 20: a proof-of-life season's 100,000 reminders pushed to the channel-app simulator through the real relay and
# worker (time to notify and deliver, pushes/s, the worker's memory); its own database and topics, made afresh.
.PHONY: bench-channel
bench-channel: setup services
	$(PY) -m bench.channel_push $(BENCH_ARGS)

# Issue 16 (area codes): IdNumber.parse and make_id_number per second with the GB/T 2260 check, and the table's one-off
# reading; no services needed.
.PHONY: bench-idnumber
bench-idnumber: setup
	$(PY) -m bench.idnumber $(BENCH_ARGS)

# Issue 16 (2.7): a 100,000-row cross-region certification file staged (target < 30 s) and applied as
# certification.recorded events through the outbox (target < 60 s) on the benchmarks' database; peak memory printed;
# the import and its events are deleted afterwards.
.PHONY: bench-ministry-import
bench-ministry-import: setup services
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(VENV)/bin/hub db upgrade
	HUB_DATABASE_URL=$${HUB_BENCH_DATABASE_URL:-postgresql+psycopg://hub:hub@127.0.0.1:54329/retiree_hub_bench} \
		$(PY) -m bench.ministry_import $(BENCH_ARGS)

# Issue 17: the migration of the 2007 system — a fresh database (retiree_hub_legacy, dropped at the end), a generated
# export of 1,000,000 retirees (BENCH_ARGS="--people 100000" for less), the dry run and the import timed, each
# process's peak RSS.
.PHONY: bench-legacy
bench-legacy: setup services
	$(PY) -m bench.legacy $(BENCH_ARGS)

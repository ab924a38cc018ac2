# vibes-observe — every entry point a user needs. Each target is a thin call into Python.
#   make up      bring the stack up (compose where a Docker engine answers, else native)
#   make test    unit + live-stack tests (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
MODE ?= auto            # auto | native | compose
STACK_CONFIG ?=         # path to a stack config (default: stack/stack.yaml if present)
INVENTORY ?=            # a pyinfra inventory (default: this machine); a fleet: stack/inventories/cluster_example.py
LIMIT ?=                # only these groups or hosts of the inventory (comma-separated)
SERIAL ?=               # SERIAL=1: one host after the other (a rolling restart)
STACK := $(PY) -m vibes_stack --mode $(MODE) $(if $(strip $(STACK_CONFIG)),--config $(STACK_CONFIG)) \
	$(if $(strip $(INVENTORY)),--inventory $(strip $(INVENTORY))) $(if $(strip $(LIMIT)),--limit $(strip $(LIMIT))) \
	$(if $(strip $(SERIAL)),--serial)

.PHONY: venv node-deps zipkin-server up down status logs plan clean test test-unit test-integration generate check-generated demo bench bench-stack bench-rules bench-logs cluster-deps cassandra-libs test-cluster

# The venv is rebuilt only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

# The Node.js agent of the live tests (no vibes code: the official OpenTelemetry JS OpenAI
# instrumentation), installed from the npm registry at the versions package-lock.json pins.
NODE_AGENT := tests/integration/node
$(NODE_AGENT)/node_modules/.installed: $(NODE_AGENT)/package.json $(NODE_AGENT)/package-lock.json
	cd $(NODE_AGENT) && npm ci --no-audit --no-fund
	touch $@

node-deps: $(NODE_AGENT)/node_modules/.installed

zipkin-server: venv ## the Zipkin server (Maven Central exec jar, Java 17) the SDK's zipkin exporter is tested against
	$(PY) -m vibes_stack.zipkin fetch

cassandra-libs: venv ## Cassandra's jars (Maven Central, pinned in stack/versions.yaml) for the clustered trace storage
	$(PY) -m vibes_stack.cassandra fetch

up: venv ## bring the stack up and print a readiness summary
	$(STACK) up

down: venv ## stop every component
	$(STACK) down

status: venv ## health of every component
	$(STACK) status

logs: venv ## tail component logs (COMPONENT=name to pick one)
	$(STACK) logs $(COMPONENT)

plan: venv ## what `make up` would change, changing nothing
	$(STACK) plan

clean: venv ## stop and remove all stack data (asks first; YES=1 for scripts)
	$(STACK) clean $(if $(YES),--yes)

generate: venv ## regenerate dashboards, rules and configs from their Python sources
	$(PY) -m vibes_observe.generate

check-generated: venv ## fail when a committed generated artifact drifts from its source
	$(PY) -m vibes_observe.generate --check

test-unit: venv
	$(PY) -m pytest tests/unit -q

test-integration: venv node-deps zipkin-server
	$(PY) -m vibes_stack binaries
	$(PY) -m pytest tests/integration -q

# Multi-host tests (issue 11): network-namespace hosts on 10.77.0.0/24, each with its own sshd,
# reached by the real pyinfra over SSH. Root only; not part of `make test` yet.
cluster-deps: venv ## apt-install sshd, nft, ip/tc when missing (root)
	$(PY) tests/cluster/deps.py

# also Jaeger v2 on two Cassandra nodes on loopback (~2.6 GB RAM, ~4.5 min; no root needed for those).
# Binaries first, with progress: the single-host ones and the tiers the example fleet places (Thanos
# built in its module tree on first use, ~10-15 min cold; Cassandra's jars from Maven Central, ~1.5 min).
test-cluster: venv cluster-deps cassandra-libs ## the namespace-host and clustered-trace-storage tests (tests/cluster)
	$(PY) -m vibes_stack --mode native --inventory stack/inventories/cluster_example.py binaries
	$(PY) -m pytest tests/cluster -q -ra

# tests/cluster (root, namespace hosts) runs apart: make test-cluster
test: venv node-deps zipkin-server check-generated ## everything CI runs (native binaries resolved/built first, with progress)
	$(PY) -m vibes_stack binaries
	$(PY) -m pytest tests -q -ra --ignore=tests/cluster

demo: venv ## send a demo agent workload to the running stack
	$(PY) -m vibes_sdk.demo

bench: venv ## SDK overhead vs bare OTel; with OTLP export on a mocked OpenAI call vs peers; CLI start-up (needs the stack)
	$(PY) bench/bench_sdk.py
	$(PY) bench/bench_export.py
	$(PY) bench/bench_span_export.py
	$(PY) bench/bench_cli.py

bench-stack: venv ## the native stack: start, RSS idle/loaded, freshness, span and log-record ingest knees (telemetrygen), SDK push rate
	$(PY) -m vibes_stack binaries
	$(PY) bench/bench_stack.py

bench-rules: venv ## recording-rule evaluation time as series grow (10 … 10,000 combinations)
	$(PY) -m vibes_stack binaries
	$(PY) bench/bench_rules.py

RECORDS ?= 1000000
bench-logs: venv ## native log database vs the old file store, on its own stack (RECORDS=5000000 for the issue's size)
	$(PY) -m vibes_stack binaries
	$(PY) bench/bench_logs.py --records $(RECORDS)

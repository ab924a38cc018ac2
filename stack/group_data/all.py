"""Defaults for every host: ports, bind address, versions, retention, intervals.

pyinfra loads this file as host data; ``vibes_stack.config`` loads the very same file
as the base the user's stack config (``stack/stack.yaml`` / ``--config``) is merged
onto, so a default lives in exactly one place.
"""

from pathlib import Path as _Path

import yaml as _yaml

# Every port is bound to ``bind_address``; CONTRACTS.md lists the same numbers.
ports = {
    "collector_otlp_grpc": 4317,
    "collector_otlp_http": 4318,
    "collector_health": 13133,
    "collector_metrics": 8888,
    "collector_prometheus": 8889,
    "gateway_watch": 13135,  # multi-host tier: an agent host's gateway watcher (health, its gateway list)
    "jaeger_otlp_grpc": 14317,
    "jaeger_otlp_http": 14318,
    "jaeger_query": 16686,
    "jaeger_query_grpc": 16685,
    "jaeger_health": 13134,
    "jaeger_metrics": 8887,
    "prometheus": 9090,
    "alertmanager": 9093,
    "alert_receiver": 9097,
    "victorialogs": 9428,   # native log database (HTTP: OTLP ingest, LogsQL queries, live tail)
    "loki": 3100,               # simple-scalable: the read target (what the CLI and Grafana query)
    "loki_grpc": 9095,
    "loki_write": 3110,         # simple-scalable: the write target (the collector pushes here)
    "loki_backend": 3120,       # simple-scalable: the backend target (compactor, ruler, scheduler)
    "loki_memberlist": 7946,    # simple-scalable Loki: the ring's gossip among its targets (container network only)
    "seaweedfs_s3": 8333,       # simple-scalable Loki's object store (S3 API, credentials required)
    "seaweedfs_master": 9333,   # SeaweedFS also listens on each of its ports + 10000 (gRPC)
    "seaweedfs_volume": 8380,
    "seaweedfs_filer": 8388,
    "grafana": 3000,
    # fleet tiers (issue 11): Thanos' roles may share a host, so each role has its own ports
    "thanos_router_remote_write": 19291,   # where Prometheus remote-writes (the tier's write endpoint)
    "thanos_router_grpc": 10911,
    "thanos_router_http": 10912,
    "thanos_router_capnproto": 19391,
    "thanos_ingestor_grpc": 10901,
    "thanos_ingestor_http": 10902,
    "thanos_ingestor_remote_write": 19292,
    "thanos_ingestor_capnproto": 19392,
    "thanos_query_grpc": 10921,
    "thanos_query_http": 10922,            # the tier's Prometheus HTTP API (CLI, dashboards)
    "thanos_rule_grpc": 10931,
    "thanos_rule_http": 10932,
    "alertmanager_cluster": 9094,          # gossip between Alertmanager replicas (TCP and UDP)
    "cassandra_storage": 7000,             # gossip and replication between Cassandra nodes
    "cassandra_native": 9042,              # CQL (Jaeger)
}

bind_address = "127.0.0.1"

# deployment.environment.name stamped (insert, never overwrite) on every signal by the collector
environment = "local"

# Versions: read from stack/versions.yaml (the one pin file), never repeated here.
# Read-only host data: the stack config cannot override a pin (edit versions.yaml instead).
versions = _yaml.safe_load((_Path(__file__).resolve().parent.parent / "versions.yaml").read_text())

retention = {
    "traces": "168h",   # Jaeger badger TTL
    "logs": "168h",     # Loki / VictoriaLogs retention (VictoriaLogs: at least 24h); file-export rotation age
    "metrics": "15d",   # Prometheus --storage.tsdb.retention.time
}

intervals = {
    "scrape": "15s",
    "evaluation": "15s",
}

sampling = {
    "traces_percent": 100.0,  # metrics are never sampled: the SDK computes them
    # Gateways (multi-host tier) sample whole traces; the ledger is counted before, on the agents.
    # They keep each trace with an error, slower or costlier than these, and traces_percent of the rest.
    "keep_slower_than": "10s",
    "keep_costlier_than_usd": 0.5,
    "decision_wait": "5s",      # how long a gateway holds a trace's spans before deciding
}

collector = {
    "memory_limit_mib": 512,
    "memory_spike_limit_mib": 128,
    "bearer_token_auth": False,   # token generated on first deploy, stored 0600
    "queue_size": 5000,
    "retry_max_elapsed": "0s",    # 0 = retry forever: the file-backed queue holds the data
}

# Native log database (no Loki binary): VictoriaLogs. The memory limit is a soft Go heap limit
# (GOMEMLIMIT); its caches get half of it (-memory.allowedBytes).
victorialogs = {
    "memory_limit_mib": 512,
}

# Loki in compose: "single" (one process, filesystem storage) or "simple-scalable": the write,
# read and backend targets of the same image sharing one config, a memberlist ring and an S3
# bucket on SeaweedFS (credentials generated on first deploy, 0600). Replicas: containers per
# target (simple-scalable only; replica i publishes its target's port + i). stack/README.md "Logs tier".
loki = {
    "mode": "single",
    "replicas": {"write": 1, "read": 1, "backend": 1},
}

# Jaeger (Badger): a soft Go heap limit (GOMEMLIMIT). Under load its heap otherwise grows to
# several times the live data between collections (908 MiB seen at 16 k spans/s); Badger's
# memory-mapped tables come on top (stack/README.md, Ingest).
jaeger = {
    "memory_limit_mib": 384,
}

# Rotation of OTLP-JSON files written by `file` export targets.
native_log_store = {
    "max_megabytes": 100,   # rotation size of one OTLP-JSON lines file
    "max_backups": 20,
}

# Per-signal export targets; see stack/stack.example.yaml for every kind.
exports = {
    "traces": ["jaeger"],
    "metrics": ["prometheus"],
    "logs": ["loki"],       # native mode without a Loki binary: VictoriaLogs
}

# Explicit binary paths (native mode); empty = PATH, then cache, Debian, Go build.
binaries = {}

# Container settings (compose mode). Each component's memory limit is in its module
# (vibes_stack/components/); ``mem_limits: {jaeger: 2g}`` overrides one.
containers = {
    "mem_limits": {},
    "log_max_size": "10m",
    "log_max_file": 3,
}

# Clustered trace storage of a fleet (the `traces` group): Cassandra nodes Jaeger v2 writes to.
trace_storage = {
    "keyspace": "vibes_traces",
    "replication_factor": 2,   # every span on two nodes: reads and writes go on while one is down
    "seeds": 2,                # the first N Cassandra hosts of the inventory are its seeds
    "heap": "768m",            # per node (-Xms = -Xmx); RSS is about 1.5 times this
    "quick_start": False,      # True skips the 30 s ring delay (one machine or a test network only)
}

alerting = None

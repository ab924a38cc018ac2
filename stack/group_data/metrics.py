"""Group data of `metrics` in a fleet inventory: the metrics tier (vibes_stack/components/thanos.py).

Every metrics host runs every Thanos role: an ingestor (its share of the series, replication factor
2: at least two hosts), a router (Prometheus' remote-write endpoint), a query (the Prometheus HTTP API
the CLI and dashboards use) and a ruler (the generated rules; alerts to every Alertmanager). Its
Prometheus scrapes every collector of the fleet and remote-writes to the routers (replicas
deduplicated by query); the native log database takes the collectors' logs.
"""
vibes_components = ["prometheus", "victorialogs", "thanos-ingestor", "thanos-router", "thanos-query", "thanos-rule"]

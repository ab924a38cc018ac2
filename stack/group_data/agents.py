"""Group data of `agents` (every app host) in a fleet inventory (stack/inventories/cluster_example.py).

Until the agent-mode collector role lands, an agent host runs the single-host collector: OTLP in
on the host's address, exports to the storage hosts' Jaeger, Prometheus scrape, VictoriaLogs.
"""
vibes_components = ["collector"]

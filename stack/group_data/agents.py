"""Group data of `agents` (every app host) in a fleet inventory (stack/inventories/cluster_example.py).

An agent host runs the agent-mode collector (OTLP on 127.0.0.1 for the host's SDKs; counts the
token/cost ledger; forwards to the gateways by trace ID) and the watcher that keeps the gateway
name it resolves to the healthy gateways (stack/README.md, "Collector tiers").
"""
vibes_components = ["gateway-watch", "collector-agent"]

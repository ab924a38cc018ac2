"""Group data of `gateways` (two or more) in a fleet inventory: the gateway-mode collector
(tail sampling, persistent queues), exporting to the traces, metrics and logs hosts of the
inventory (stack/README.md, "Collector tiers")."""
vibes_components = ["collector-gateway"]

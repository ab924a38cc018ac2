"""Group data of `traces` in a fleet inventory: Jaeger (OTLP in from every collector, query API)."""
vibes_components = ["jaeger"]

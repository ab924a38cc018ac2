"""Group data of `metrics` in a fleet inventory: Prometheus (scrapes every collector of the fleet,
evaluates the generated rules, sends alerts to the alerting hosts) and the native log database."""
vibes_components = ["prometheus", "victorialogs"]

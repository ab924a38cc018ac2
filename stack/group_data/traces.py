"""Group data of `traces` in a fleet inventory: a Cassandra node per host (replication factor
``trace_storage.replication_factor``: at least that many hosts) and Jaeger v2 on it (OTLP in from every
collector, the query API); Jaeger holds no state, so every traces host runs one."""
vibes_components = ["cassandra", "jaeger"]

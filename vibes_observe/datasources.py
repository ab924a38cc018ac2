"""Fixed Grafana datasource UIDs: provisioning, dashboards and cross-links all use these."""

PROMETHEUS_UID = "vibes-prometheus"
JAEGER_UID = "vibes-jaeger"
LOKI_UID = "vibes-loki"
ALERTMANAGER_UID = "vibes-alertmanager"

ALL_UIDS = (PROMETHEUS_UID, JAEGER_UID, LOKI_UID, ALERTMANAGER_UID)

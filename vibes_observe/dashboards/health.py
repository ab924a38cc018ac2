"""Vibes / Stack health: collector intake and export, queues, backends up, rule failures, SDK drops."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from vibes_observe.alerting import defaults as d
from vibes_observe.dashboards._build import (
    COUNT, PERCENT, bar_panel, dashboard, prom, stat_panel, timeseries_panel,
)

UID = "vibes-stack-health"
R = "[$__range]"
SIGNALS = "|".join(d.COLLECTOR_SIGNALS)
COLLECTOR = f'job="{d.COLLECTOR_JOB}"'


def _per_signal(template: str, by: str) -> str:
    name = template.format(signal=f"({SIGNALS})")
    return (f'sum by ({by}, signal) (label_replace(rate({{__name__=~"{name}",{COLLECTOR}}}[$__rate_interval]), '
            f'"signal", "$1", "__name__", "{template.format(signal="(.+)")}"))')


def build() -> db.Dashboard:
    fill = f"max by (exporter, data_type) ({d.COLLECTOR_QUEUE_SIZE} / {d.COLLECTOR_QUEUE_CAPACITY})"
    return (
        dashboard(UID, "Stack health", "Is the telemetry pipeline itself healthy: collector, backends, rules, "
                  "alerting and the SDKs.", time_from="now-1h", refresh="10s")
        .with_row(db.Row("Backends"))
        .with_panel(bar_panel("Backend up", "1 when Prometheus can scrape the component.", COUNT,
                              "min by (job) (up)", "{{job}}", w=8, links=False))
        .with_panel(stat_panel("Rule evaluation failures", "Failed Prometheus rule evaluations in the time range.",
                               COUNT, f"sum(increase({d.PROMETHEUS_RULE_FAILURES}{R}))", w=4, links=False))
        .with_panel(stat_panel("Notification failures", "Alertmanager notifications that failed in the time "
                               "range.", COUNT, f"sum(increase({d.ALERTMANAGER_NOTIFY_FAILED}{R}))", w=4,
                               links=False))
        .with_panel(stat_panel("SDK drops", "Telemetry items SDKs dropped in the time range (full queue, export "
                               "failure, guard).", COUNT, f"sum(increase({d.SDK_DROPPED}{R}))", w=4, links=False))
        .with_panel(stat_panel("Largest queue fill", "Fullest collector export queue now.", PERCENT,
                               f"max({fill})", w=4, links=False))
        .with_row(db.Row("Collector"))
        .with_panel(timeseries_panel("Accepted per signal", "Items/s the collector's receivers accepted.", "short",
                                     [prom(_per_signal(d.COLLECTOR_ACCEPTED, "receiver"),
                                           "{{receiver}} {{signal}}")], w=8, links=False))
        .with_panel(timeseries_panel("Refused or failed per signal", "Items/s receivers refused (back-pressure) "
                                     "or failed.", "short",
                                     [prom(_per_signal(d.COLLECTOR_REFUSED, "receiver"),
                                           "refused {{receiver}} {{signal}}", ref="A"),
                                      prom(_per_signal(d.COLLECTOR_FAILED, "receiver"),
                                           "failed {{receiver}} {{signal}}", ref="B")], w=8, links=False))
        .with_panel(timeseries_panel("Export failures", "Items/s exporters failed to send or to queue.", "short",
                                     [prom(_per_signal(d.COLLECTOR_SEND_FAILED, "exporter"),
                                           "send {{exporter}} {{signal}}", ref="A"),
                                      prom(_per_signal(d.COLLECTOR_ENQUEUE_FAILED, "exporter"),
                                           "enqueue {{exporter}} {{signal}}", ref="B")], w=8, links=False))
        .with_panel(timeseries_panel("Exporter queue fill", "Queue size / capacity per exporter.", PERCENT,
                                     [prom(fill, "{{exporter}} {{data_type}}")], w=12, links=False))
        .with_panel(timeseries_panel("Sent per exporter", "Items/s exporters delivered.", "short",
                                     [prom(_per_signal(d.COLLECTOR_SENT, "exporter"), "{{exporter}} {{signal}}")],
                                     w=12, links=False))
        .with_row(db.Row("SDKs"))
        .with_panel(timeseries_panel("SDK drops by reason", "Items/s dropped inside SDKs, by signal and reason.",
                                     "short", [prom(f"sum by (job, signal, reason) (rate({d.SDK_DROPPED}"
                                                    "[$__rate_interval]))", "{{job}} {{signal}} {{reason}}")],
                                     w=24, links=False))
    )

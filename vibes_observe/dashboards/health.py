"""Vibes / Stack health: collector intake and export, queues, backends up, rule failures, SDK drops."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.dashboards._build import (
    COUNT, PER_SECOND, PERCENT, STEP, bar_panel, dashboard, prom, sel, stat_panel, step_query, timeseries_panel,
)

UID = "vibes-stack-health"
ITEMS_PER_S = "suffix: items/s"
R = "[$__range]"
COLLECTOR = f'job="{d.COLLECTOR_JOB}"'


def _items_per_s(template: str, sig: str, by: str) -> str:
    ledger = d.LEDGER_COLLECTOR.format(counter=template.format(signal=sig))
    return f"{promql.increments(ledger, (by,), STEP, '{' + COLLECTOR + '}')} / {PER_SECOND}"


def _per_signal(template: str, by: str, prefix: str = "", ref: str = "", zero_from: str | None = None) -> list:
    """One target per signal (spans, metric points, log records), summed by ``by``.

    A failure counter does not exist until the first failure: with ``zero_from`` (a
    counter every receiver/exporter has) each of them shows 0 instead of nothing."""
    targets = []
    for sig in d.COLLECTOR_SIGNALS:
        expr = _items_per_s(template, sig, by)
        if zero_from:
            expr = promql.or_zero(expr, _items_per_s(zero_from, sig, by), (by,))
        targets.append(step_query(expr, f"{prefix}{{{{{by}}}}} {sig}", ref=f"{ref}{sig}"))
    return targets


def _sdk_drops() -> str:
    """Drops/s by service, signal and reason; a service that dropped nothing shows 0."""
    service = sel("service")
    drops = f"{promql.increments(d.LEDGER_SDK_DROPPED, (d.JOB, 'signal', 'reason'), STEP, service)} / {PER_SECOND}"
    return promql.or_zero(drops, f"sum by ({d.JOB}) ({d.TARGET_INFO}{service})", (d.JOB,))


def build() -> db.Dashboard:
    fill = f"max by (exporter, data_type) ({d.COLLECTOR_QUEUE_SIZE} / {d.COLLECTOR_QUEUE_CAPACITY})"
    return (
        dashboard(UID, "Stack health", "Is the telemetry pipeline itself healthy: collector, backends, rules, "
                  "alerting and the SDKs.", time_from="now-1h", refresh="10s")
        .with_row(db.Row("Backends"))
        .with_panel(bar_panel("Backend up", "1 when Prometheus can scrape the component.", COUNT,
                              "min by (job) (up)", "{{job}}", w=4, links=False))
        .with_panel(stat_panel("Rule evaluation failures", "Failed Prometheus rule evaluations in the time range.",
                               COUNT, f"sum(increase({d.PROMETHEUS_RULE_FAILURES}{R}))", w=4, links=False))
        .with_panel(stat_panel("Ledger steps missed", "vibes-ledger evaluations Prometheus skipped in the time "
                               "range (each loses one step of exact cost/token increments).", COUNT,
                               f'sum(increase({d.PROMETHEUS_RULE_MISSED}{{rule_group=~".*vibes-ledger"}}{R}))',
                               w=4, links=False))
        .with_panel(stat_panel("Notification failures", "Alertmanager notifications that failed in the time "
                               "range.", COUNT, f"sum(increase({d.ALERTMANAGER_NOTIFY_FAILED}{R}))", w=4,
                               links=False))
        .with_panel(stat_panel("SDK drops", "Telemetry items SDKs dropped in the time range (full queue, export "
                               "failure, guard).", COUNT, f"sum(sum_over_time({d.LEDGER_SDK_DROPPED}{R}))", w=4, links=False))
        .with_panel(stat_panel("Largest queue fill", "Fullest collector export queue now.", PERCENT,
                               f"max({fill})", w=4, links=False))
        .with_row(db.Row("Collector"))
        .with_panel(timeseries_panel("Accepted per signal", "Items/s the collector's receivers accepted.", ITEMS_PER_S,
                                     _per_signal(d.COLLECTOR_ACCEPTED, "receiver"), w=8, links=False))
        .with_panel(timeseries_panel("Refused or failed per signal", "Items/s receivers refused (back-pressure) "
                                     "or failed.", ITEMS_PER_S,
                                     _per_signal(d.COLLECTOR_REFUSED, "receiver", "refused ", "refused_", d.COLLECTOR_ACCEPTED)
                                     + _per_signal(d.COLLECTOR_FAILED, "receiver", "failed ", "failed_",
                                                   d.COLLECTOR_ACCEPTED),
                                     w=8, links=False))
        .with_panel(timeseries_panel("Export failures", "Items/s exporters failed to send or to queue.", ITEMS_PER_S,
                                     _per_signal(d.COLLECTOR_SEND_FAILED, "exporter", "send ", "send_", d.COLLECTOR_SENT)
                                     + _per_signal(d.COLLECTOR_ENQUEUE_FAILED, "exporter", "enqueue ", "enqueue_",
                                                   d.COLLECTOR_SENT),
                                     w=8, links=False))
        .with_panel(timeseries_panel("Exporter queue fill", "Queue size / capacity per exporter.", PERCENT,
                                     [prom(fill, "{{exporter}} {{data_type}}")], w=12, links=False))
        .with_panel(timeseries_panel("Sent per exporter", "Items/s exporters delivered.", ITEMS_PER_S,
                                     _per_signal(d.COLLECTOR_SENT, "exporter"), w=12, links=False))
        .with_row(db.Row("SDKs"))
        .with_panel(timeseries_panel("SDK drops by reason", "Items/s dropped inside SDKs, by signal and reason.",
                                     ITEMS_PER_S, [step_query(_sdk_drops(), "{{job}} {{signal}} {{reason}}")],
                                     w=24, links=False))
    )

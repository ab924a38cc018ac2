"""Vibes / Overview: requests, tokens, cost, sessions, agents, latency, success, top models and tools."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from vibes_sdk import names

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.dashboards._build import (
    COUNT, MODEL_SEL, NOT_EMPTY, PERCENT, SECONDS, STEP, TASK_SEL, TOKENS, TOOL_SEL, USD, bar_panel, dashboard, prom,
    sel, stat_panel, step_query, timeseries_panel,
)

UID = "vibes-overview"
R = "[$__range]"


def total(ledger: str, keys=MODEL_SEL, **extra: str) -> str:
    return f"sum(sum_over_time({ledger}{sel(*keys, **extra)}{R}))"


def error_ratio(keys=MODEL_SEL) -> str:
    errors = total(d.LEDGER_REQUESTS, keys, **{d.ERROR_TYPE: NOT_EMPTY})
    return f"({errors} or vector(0)) / {total(d.LEDGER_REQUESTS, keys)}"


def build() -> db.Dashboard:
    ms = sel(*MODEL_SEL)
    return (
        dashboard(UID, "Overview", "LLM traffic, tokens, cost and health of every agent service at a glance.")
        .with_row(db.Row("Totals over the time range"))
        .with_panel(stat_panel("Requests", "GenAI calls in the time range (exact ledger counts).", COUNT,
                               total(d.LEDGER_REQUESTS)))
        .with_panel(stat_panel("Tokens", "Input (including cached) plus output (including reasoning) tokens.",
                               TOKENS, total(d.LEDGER_TOKENS, **{d.TOKEN_TYPE: '=~"input|output"'})))
        .with_panel(stat_panel("Cost", "US dollars spent in the time range, priced at call time.", USD,
                               total(d.LEDGER_COST), decimals=2))
        .with_panel(stat_panel("Active sessions", "Sessions open now.", COUNT,
                               f"sum({names.SESSION_ACTIVE.prom}{sel('service', 'cost_center')})"))
        .with_panel(stat_panel("Active agents", "Agents running now.", COUNT,
                               f"sum({names.AGENT_ACTIVE.prom}{sel(*TASK_SEL)})"))
        .with_panel(stat_panel("Success rate", "Share of GenAI calls without error.type.", PERCENT,
                               f"1 - ({error_ratio()})", w=4))
        .with_panel(stat_panel("Average latency", "Mean GenAI call duration in the time range.", SECONDS,
                               f"{total(d.LEDGER_LATENCY_SUM)} / {total(d.LEDGER_REQUESTS)}", w=4))
        .with_panel(stat_panel("p99 latency", "99th percentile GenAI call duration in the time range "
                               "(interpolated within histogram buckets).", SECONDS,
                               f"histogram_quantile(0.99, sum by (le) (sum_over_time("
                               f"{d.LEDGER_LATENCY_BUCKET}{ms}{R})))", w=4))
        .with_panel(stat_panel("Error rate", "Share of GenAI calls with error.type set.", PERCENT,
                               error_ratio(), w=4))
        .with_row(db.Row("Activity"))
        .with_panel(timeseries_panel(
            "Requests per hour", "GenAI calls in each hour (UTC).", COUNT,
            # Grafana aligns a query's end DOWN to its step, so the last point sits at the
            # start of the current hour: each point sums the hour that FOLLOWS it
            # (negative offset, stable since Prometheus 2.33) so that hour is shown.
            [prom(f"sum(sum_over_time({d.LEDGER_REQUESTS}{ms}[3599999ms] offset -1h))", "requests",
                  interval="1h")],
            bars=True))
        .with_panel(timeseries_panel(
            "Latency (average and p99)", "Call duration of the calls in each graph interval.", SECONDS,
            [step_query(f"{promql.increments(d.LEDGER_LATENCY_SUM, (), STEP, ms)} / "
                        f"{promql.increments(d.LEDGER_REQUESTS, (), STEP, ms)}", "average", ref="A"),
             step_query(promql.increments_quantile(0.99, d.LEDGER_LATENCY_BUCKET, (), STEP, ms), "p99", ref="B")]))
        .with_panel(bar_panel("Top models", "Models by GenAI calls in the time range.", COUNT,
                              f"topk(10, sum by ({d.MODEL}) (sum_over_time({d.LEDGER_REQUESTS}{ms}{R})))",
                              f"{{{{{d.MODEL}}}}}", w=12))
        .with_panel(bar_panel("Top tools", "Tools by calls in the time range.", COUNT,
                              f"topk(10, sum by ({d.TOOL}) (sum_over_time({d.LEDGER_TOOL_CALLS}"
                              f"{sel(*TOOL_SEL)}{R})))", f"{{{{{d.TOOL}}}}}", w=12))
    )

"""Vibes / Cost: spend per calendar period, breakdowns, budgets with burn and forecast, unpriced usage.

Periods are calendar periods in UTC (the dashboard time zone is UTC): "today" is the
ledger sum since 00:00 UTC, recorded by the vibes-cost-periods rules the budget
alerts use, so the dashboard and the alerts always agree.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import text
from grafana_foundation_sdk.models.dashboard import DataTransformerConfig, DynamicConfigValue
from vibes_sdk import names

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.queries.measures import period_cost, unpriced_tokens
from vibes_observe.dashboards._build import (
    COUNT, JAEGER, MODEL_SEL, PERCENT, USD, JaegerQuery, bar_panel, dashboard, loki_cost_table, prom, sel,
    stat_panel, table_panel, timeseries_panel,
)

UID = "vibes-cost"
SESSION_NOTE = (f"USD from the SDK's {names.VIBES_EVENT_SESSION_SUMMARY} log records (Loki) of the sessions "
                "that CLOSED in the time range (open sessions appear when they close; a session is counted "
                "in the range where it closed). Calls to unpriced models are not included.")
R = "[$__range]"
ALL_TIME = "[3650d]"  # everything Prometheus still retains
SHORT, LONG = d.THRESHOLDS["budget_forecast"]["short_window"], d.THRESHOLDS["budget_forecast"]["long_window"]


def projected_spend() -> str:
    """Spend at the end of each budget's period at the long-window burn rate."""
    burn = d.BUDGET_BURN.format(window=LONG)
    parts = [f'({d.BUDGET_SPENT}{{period="{p}"}} + {burn}{{period="{p}"}} * '
             f'{promql.period_remaining_seconds(p)})' for p in d.PERIODS]
    return " or ".join(parts)


def runs_out_in() -> str:
    """Seconds until each budget is used up at the short-window burn rate (+Inf: not burning)."""
    burn = d.BUDGET_BURN.format(window=SHORT)
    return f"clamp_min(({d.BUDGET_LIMIT} - {d.BUDGET_SPENT}) / {burn}, 0)"


def build() -> db.Dashboard:
    ms = sel(*MODEL_SEL)
    inc = f"{d.LEDGER_COST}{ms}"
    budget_table = (
        table_panel("Budgets", "Per budget (its own scope; the dashboard filters do not apply): spent this "
                    f"period, limit, projected spend at period end ({LONG} burn rate) and time until the "
                    f"budget runs out ({SHORT} burn rate; empty when nothing is being spent).", USD,
                    [prom(d.BUDGET_SPENT, instant=True, fmt="table", ref="spent"),
                     prom(d.BUDGET_LIMIT, instant=True, fmt="table", ref="limit"),
                     prom(projected_spend(), instant=True, fmt="table", ref="projected"),
                     prom(runs_out_in(), instant=True, fmt="table", ref="runs_out_in_seconds")],
                    w=16, h=8)
        .with_transformation(DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(DataTransformerConfig(id_val="organize", options={
            "excludeByName": {"Time": True},
            "renameByName": {"Value #spent": "Spent (USD)", "Value #limit": "Limit (USD)",
                             "Value #projected": "Projected at period end (USD)",
                             "Value #runs_out_in_seconds": "Runs out in"}}))
        .override_by_name("Runs out in", [DynamicConfigValue(id_val="unit", value="dtdurations")])
    )
    return (
        dashboard(UID, "Cost", "What LLM calls cost: per calendar period (UTC), by model, agent and cost center, "
                  "against budgets, and what is not priced.", time_from="now/M")
        .with_row(db.Row("Spend (calendar periods, UTC)"))
        .with_panel(stat_panel("Today", "Spend since 00:00 UTC.", USD,
                               period_cost("day", (), ms), decimals=2))
        .with_panel(stat_panel("This week", "Spend since Monday 00:00 UTC.", USD,
                               period_cost("week", (), ms), decimals=2))
        .with_panel(stat_panel("This month", "Spend since the 1st, 00:00 UTC.", USD,
                               period_cost("month", (), ms), decimals=2))
        .with_panel(stat_panel("All time", "Spend over everything Prometheus still retains.", USD,
                               f"sum(sum_over_time({inc}{ALL_TIME}))", decimals=2))
        .with_panel(stat_panel("Time range", "Spend in the dashboard's time range.", USD,
                               f"sum(sum_over_time({inc}{R}))", decimals=2))
        .with_panel(stat_panel("Unpriced calls", "Calls to models without a price in the time range: their "
                               "cost is unknown and NOT included above.", COUNT,
                               f"sum(sum_over_time({d.LEDGER_UNPRICED}{ms}{R}))"))
        .with_panel(stat_panel("Unpriced tokens", "Tokens of services that sent token metrics but no spans "
                               "vibes could price (no vibes_sdk, traces not exported to the collector): "
                               "their cost is unknown and NOT included above.", COUNT,
                               f"{unpriced_tokens('$__range', [], ms)} or vector(0)"))
        .with_row(db.Row("Where the money goes (time range)"))
        .with_panel(bar_panel("By model", "Spend per model.", USD,
                              f"sum by ({d.MODEL}) (sum_over_time({inc}{R}))", f"{{{{{d.MODEL}}}}}"))
        .with_panel(bar_panel("By agent", "Spend per agent (empty name: calls outside an agent).", USD,
                              f"sum by ({d.AGENT}) (sum_over_time({inc}{R}))", f"{{{{{d.AGENT}}}}}"))
        .with_panel(bar_panel("By cost center", "Spend per cost center.", USD,
                              f"sum by ({d.COST_CENTER}) (sum_over_time({inc}{R}))",
                              f"{{{{{d.COST_CENTER}}}}}"))
        .with_panel(timeseries_panel("Spend per interval", "USD spent in each graph interval, by model.", USD,
                                     [prom(f"sum by ({d.MODEL}) (sum_over_time({inc}[$__interval]))",
                                           f"{{{{{d.MODEL}}}}}")], w=24, bars=True, stacked=True))
        .with_row(db.Row("Budgets"))
        .with_panel(bar_panel("Budget used", "Spent / limit per budget in its current period.", PERCENT,
                              f"{d.BUDGET_SPENT} / {d.BUDGET_LIMIT}", "{{budget}} ({{period}})"))
        .with_panel(budget_table)
        .with_panel(timeseries_panel(
            "Burn rate", f"USD per hour per budget over the last {SHORT} and {LONG}.", USD,
            [prom(f"{d.BUDGET_BURN.format(window=SHORT)} * 3600", f"{{{{budget}}}} {SHORT}", ref="A"),
             prom(f"{d.BUDGET_BURN.format(window=LONG)} * 3600", f"{{{{budget}}}} {LONG}", ref="B")], w=24))
        .with_row(db.Row("Unpriced models"))
        .with_panel(bar_panel("Unpriced calls by model", "Calls whose model has no price (cost unknown, "
                              "not $0). Add the model to the SDK price table.", COUNT,
                              f"sum by ({d.MODEL}) (sum_over_time({d.LEDGER_UNPRICED}{ms}{R}))",
                              f"{{{{{d.MODEL}}}}}", w=24))
        .with_row(db.Row("Sessions and users (session summaries in Loki; traces)"))
        .with_panel(loki_cost_table(
            "Cost by session", SESSION_NOTE + " Sum per session id.",
            names.VIBES_SESSION_ID, "Session"))
        .with_panel(loki_cost_table(
            "Cost by user", SESSION_NOTE + " Sum per user id (sessions without a user id form one "
            "row with an empty user).", names.VIBES_USER_ID, "User"))
        .with_panel(text.Panel().title("Cost per session and per user").description(
            "Why per-session and per-user cost is not a metric, and where to get it.").span(8).height(8).content(
            "Session and user ids are never metric labels (unbounded cardinality). The tables above sum the "
            f"`{names.VIBES_EVENT_SESSION_SUMMARY}` log record the SDK emits once when a session closes "
            f"(its `{names.VIBES_COST_USD}`), so sessions still open are not in them yet. From traces "
            f"(sum of `{names.VIBES_COST_USD}` on inference spans, open sessions included, sampled-out "
            "traces missing):\n\n"
            "```\nvibes observe cost --by session --since 24h\nvibes observe cost --by user --since 7d\n```\n\n"
            "The table lists the traces of the selected service; open one to see each call's cost."))
        .with_panel(table_panel("Traces with cost", "Recent traces of the selected service (Jaeger); each "
                                "inference span carries its cost.", COUNT,
                                [JaegerQuery(limit=50)], w=16, h=8, datasource=JAEGER, links=False))
    )

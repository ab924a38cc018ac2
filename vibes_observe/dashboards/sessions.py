"""Vibes / Sessions: open sessions, durations, messages, and a drill-down to a session's traces and logs."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import logs

from vibes_sdk import names

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.dashboards._build import (
    COUNT, JAEGER, LOKI, SECONDS, STEP, JaegerQuery, step_query, dashboard, log_link, logql, loki_cost_table, prom, sel, stat_panel, table_panel,
    timeseries_panel, trace_link,
)

UID = "vibes-sessions"
R = "[$__range]"
SESSION_TAG = f"{names.VIBES_SESSION_ID}=$session"
COST_NOTE = (f"USD from the {names.VIBES_EVENT_SESSION_SUMMARY} log record the SDK emits when a session "
             "closes: covers sessions that CLOSED in the time range only (open sessions appear when they "
             "close). Calls to unpriced models are not included.")
SESSION_LOG_FILTER = f' | {names.prom_label(names.VIBES_SESSION_ID)}="$session"'


def build() -> db.Dashboard:
    cc = sel("service", "cost_center")
    session_var = (db.TextBoxVariable("session").label("Session id").description(
        f"A {names.VIBES_SESSION_ID} value: shows that session's traces and logs."))
    return (
        dashboard(UID, "Sessions", "Sessions (conversations): how many, how long, and what happened in one.",
                  time_from="now-24h")
        .with_variable(session_var)
        .with_row(db.Row("Sessions"))
        .with_panel(stat_panel("Open sessions", "Sessions open now.", COUNT,
                               f"sum({names.SESSION_ACTIVE.prom}{cc})", w=6))
        .with_panel(stat_panel("Messages", "Messages exchanged in sessions in the time range.", COUNT,
                               f"sum(sum_over_time({d.LEDGER_SESSION_MESSAGES}{cc}{R}))", w=6))
        .with_panel(stat_panel("Events", "Session events recorded in the time range.", COUNT,
                               f"sum(sum_over_time({d.LEDGER_SESSION_EVENTS}{cc}{R}))", w=6))
        .with_panel(stat_panel("Median session length", "p50 duration of sessions closed in the time range.",
                               SECONDS, f"histogram_quantile(0.5, sum by (le) (sum_over_time("
                               f"{d.LEDGER_SESSION_DURATION_BUCKET}{cc}{R})))", w=6))
        .with_panel(timeseries_panel("Open sessions by cost center", "Sessions open over time.", COUNT,
                                     [prom(f"sum by ({d.COST_CENTER}) ({names.SESSION_ACTIVE.prom}{cc})",
                                           f"{{{{{d.COST_CENTER}}}}}")]))
        .with_panel(timeseries_panel(
            "Session duration p50 / p95", "Duration of closed sessions.", SECONDS,
            [step_query(promql.increments_quantile(q, d.LEDGER_SESSION_DURATION_BUCKET, (), STEP, cc),
                        f"p{q * 100:g}", ref=f"p{q * 100:g}") for q in (0.5, 0.95)]))
        .with_row(db.Row("Cost of closed sessions (session summaries in Loki)"))
        .with_panel(loki_cost_table("Cost by session", COST_NOTE + " Sum per session id.",
                                    names.VIBES_SESSION_ID, "Session"))
        .with_panel(loki_cost_table("Cost by user", COST_NOTE + " Sum per user id.", names.VIBES_USER_ID, "User"))
        .with_row(db.Row("Drill down (traces and logs)"))
        .with_panel(table_panel("Recent traces", "Latest traces of the selected service (Jaeger). Click a "
                                "trace id to open it; copy its session id into the Session id box.", COUNT,
                                [JaegerQuery(limit=50)], w=12, h=10, datasource=JAEGER, links=False)
                    .links([trace_link(), log_link()]))
        .with_panel(table_panel("Traces of session $session", f"Traces tagged {SESSION_TAG}.", COUNT,
                                [JaegerQuery(tags=SESSION_TAG, limit=100)], w=12, h=10, datasource=JAEGER,
                                links=False).links([trace_link(SESSION_TAG), log_link(SESSION_LOG_FILTER)]))
        .with_panel(logs.Panel().title("Logs of session $session").description(
            "Log records stamped with the session id (Loki).").datasource(LOKI).span(24).height(10)
            .with_target(logql('{service_name=~"$service"}' + SESSION_LOG_FILTER)))
    )

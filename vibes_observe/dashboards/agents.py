"""Vibes / Agents & swarms: running agents, task durations, iterations, tools, swarm coordination."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from vibes_sdk import names

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.dashboards._build import (
    COUNT, NOT_EMPTY, PERCENT, SECONDS, STEP, TASK_SEL, TOOL_SEL, bar_panel, eq, dashboard, prom, sel, stat_panel,
    step_query, timeseries_panel,
)

UID = "vibes-agents"
R = "[$__range]"
A = f"{{{{{d.AGENT}}}}}"


def build() -> db.Dashboard:
    ts, tl = sel(*TASK_SEL), sel(*TOOL_SEL)
    cc = sel("service", "cost_center")
    failed = sel(*TOOL_SEL, **{d.ERROR_TYPE: NOT_EMPTY})
    tool_total = f"sum by ({d.TOOL}) (sum_over_time({d.LEDGER_TOOL_CALLS}{tl}{R}))"
    tool_errors = (f"(sum by ({d.TOOL}) (sum_over_time({d.LEDGER_TOOL_CALLS}{failed}{R})) or {tool_total} * 0) "
                   f"/ {tool_total}")
    max_calls = d.THRESHOLDS["agent_iterations"]["max_calls"]
    runaway = (f"sum(sum_over_time({d.LEDGER_TASK_CALLS}{sel(*TASK_SEL, le=eq('+Inf'))}{R})) - "
               f"sum(sum_over_time({d.LEDGER_TASK_CALLS}{sel(*TASK_SEL, le=promql.le_matcher(max_calls))}{R}))")
    return (
        dashboard(UID, "Agents & swarms", "What agents and swarms are doing: tasks, iterations, tools.",
                  time_from="now-6h")
        .with_row(db.Row("Agents"))
        .with_panel(stat_panel("Agents running", "Agents active now.", COUNT,
                               f"sum({names.AGENT_ACTIVE.prom}{ts})"))
        .with_panel(stat_panel("Agents started", "Agents started in the time range.", COUNT,
                               f"sum(sum_over_time({d.LEDGER_AGENTS_SPAWNED}{ts}{R}))"))
        .with_panel(stat_panel("Swarms running", "Swarms active now.", COUNT,
                               f"sum({names.SWARM_ACTIVE.prom}{cc})"))
        .with_panel(stat_panel("Swarm utilization", "Share of swarm agents busy with a task (average).",
                               PERCENT, f"avg({names.SWARM_AGENT_UTILIZATION.prom}{cc})"))
        .with_panel(stat_panel("Tool calls", "Tool calls in the time range.", COUNT,
                               f"sum(sum_over_time({d.LEDGER_TOOL_CALLS}{tl}{R}))"))
        .with_panel(stat_panel("Runaway tasks", f"Tasks with more than {max_calls} LLM calls in the time "
                               "range (see AgentIterationRunaway).", COUNT, runaway))
        .with_panel(timeseries_panel("Running agents", "Active agents by name.", COUNT,
                                     [prom(f"sum by ({d.AGENT}) ({names.AGENT_ACTIVE.prom}{ts})", A)]))
        .with_panel(timeseries_panel(
            "Task duration p50 / p95", "invoke_agent duration by agent.", SECONDS,
            [step_query(promql.increments_quantile(q, d.LEDGER_TASK_DURATION_BUCKET, (d.AGENT,), STEP, ts),
                        f"{A} p{q * 100:g}", ref=f"p{q * 100:g}") for q in (0.5, 0.95)]))
        .with_panel(bar_panel("LLM calls per task p95 (time range)", "Iterations per task: 95th percentile of "
                              "inference calls per invoke_agent, by agent.", COUNT,
                              f"histogram_quantile(0.95, sum by (le, {d.AGENT}) (sum_over_time("
                              f"{d.LEDGER_TASK_CALLS}{ts}{R})))", A))
        .with_row(db.Row("Tools"))
        .with_panel(bar_panel("Tool calls by tool (time range)", "Calls per tool.", COUNT,
                              f"sum by ({d.TOOL}) (sum_over_time({d.LEDGER_TOOL_CALLS}{tl}{R}))",
                              f"{{{{{d.TOOL}}}}}"))
        .with_panel(bar_panel("Tool error rate (time range)", "Failed share of calls per tool.", PERCENT,
                              tool_errors, f"{{{{{d.TOOL}}}}}"))
        .with_panel(timeseries_panel(
            "Tool call duration p95", "execute_tool duration by tool.", SECONDS,
            [step_query(promql.increments_quantile(0.95, d.LEDGER_TOOL_DURATION_BUCKET, (d.TOOL,), STEP, tl),
                        f"{{{{{d.TOOL}}}}}")], w=8))
        .with_row(db.Row("Swarms"))
        .with_panel(timeseries_panel("Swarm coordination p95", "Time swarms spend coordinating.", SECONDS,
                                     [step_query(promql.increments_quantile(
                                         0.95, d.LEDGER_SWARM_COORDINATION_BUCKET, (), STEP, cc), "p95")]))
        .with_panel(timeseries_panel("Swarm agent utilization", "Busy share of swarm agents.", PERCENT,
                                     [prom(f"avg by ({d.COST_CENTER}) ({names.SWARM_AGENT_UTILIZATION.prom}{cc})",
                                           f"{{{{{d.COST_CENTER}}}}}")]))
    )

"""`vibes observe cost`: what the agents cost.

Totals and model/agent/cost-center breakdowns come from Prometheus (the exact
``vibes.llm.cost.usd`` counter); per-session and per-user figures come from traces
(sum of ``vibes.cost.usd`` on inference spans), because sessions and users are never
metric labels; a closed session with no trace at all (sampled out, trace store trimmed)
is filled in from its ``vibes.session.summary`` log record. Every figure says which source it came from; usage of models without
a price is reported as unpriced, never as $0."""

from __future__ import annotations

from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands._common import (console, cost_text, emit_json, endpoints, fmt_int, fmt_usd,
                                            json_option, parse_time)
from vibes_observe.queries import report
from vibes_observe.queries.report import PERIODS, period_window_s
from vibes_sdk import names as n

PROM_DIMENSIONS = ("model", "agent", "cost_center")
TRACE_DIMENSIONS = {"session": n.VIBES_SESSION_ID, "user": n.VIBES_USER_ID}


def prometheus_costs(prom: PrometheusClient, periods: tuple[str, ...], dims: tuple[str, ...],
                     filters: dict[str, str | None]) -> dict[str, Any]:
    return report.costs(prom, periods, dims, filters, window_s=period_window_s)


@click.command()
@click.option("--period", "periods", multiple=True, type=click.Choice(PERIODS),
              help="today, week (since Monday), month — UTC calendar periods, as budgets and dashboards use — or all (repeatable; default all four).")
@click.option("--by", "dims", multiple=True,
              type=click.Choice(PROM_DIMENSIONS + tuple(TRACE_DIMENSIONS)),
              help="Break down by model, agent, cost_center (Prometheus) or session, user (traces).")
@click.option("--agent", help="Only this agent.")
@click.option("--model", help="Only this model.")
@click.option("--cost-center", help="Only this cost center.")
@click.option("--service", help="Only this service (Prometheus job / Jaeger service).")
@click.option("--session", help="Cost of one session (from its traces).")
@click.option("--user", help="Cost of one user (from traces).")
@click.option("--since", default="24h", show_default=True,
              help="Trace window for --session/--user/--by session|user.")
@click.option("--limit", default=1000, show_default=True, type=click.IntRange(min=1),
              help="Most traces read per service for trace-based figures.")
@json_option
def cost(periods, dims, agent, model, cost_center, service, session, user, since, limit, as_json) -> None:
    """Cost today / this week / this month / all time, by model, agent, cost center, session, user."""
    prom_dims = tuple(d for d in dims if d in PROM_DIMENSIONS)
    trace_dims = [d for d in dims if d in TRACE_DIMENSIONS]
    use_traces = bool(session or user or trace_dims)
    if len(trace_dims) > 1:
        raise click.BadParameter("pick one of session, user", param_hint="--by")
    if (agent or model or cost_center) and use_traces:
        raise click.BadParameter("--agent/--model/--cost-center filter Prometheus figures; "
                                 "combine them with --by model|agent|cost_center, not --session/--user/--by session|user",
                                 param_hint="--session/--user")
    result: dict[str, Any] = {}
    ep = endpoints()
    if use_traces:
        parse_time(since, "--since")
        from vibes_observe.clients.jaeger import JaegerClient
        from vibes_observe.commands.trace_cost import log_source, trace_costs
        result["traces"] = trace_costs(JaegerClient(ep.jaeger), trace_dims[0] if trace_dims else None,
                                       session=session, user=user, since=since, limit=limit,
                                       service=service, logs=log_source())
    if not use_traces or prom_dims or periods:
        if not prom_dims and not dims:
            prom_dims = PROM_DIMENSIONS
        filters = {"agent": agent, "model": model, "cost_center": cost_center, "service": service}
        result["prometheus"] = prometheus_costs(PrometheusClient(ep.prometheus), periods or PERIODS,
                                                prom_dims, filters)
    if as_json:
        emit_json(result)
        return
    if "prometheus" in result:
        _render_prometheus(result["prometheus"], prom_dims)
    if "traces" in result:
        from vibes_observe.commands.trace_cost import render_traces
        render_traces(result["traces"], trace_dims[0] if trace_dims else ("session" if session else "user"))


def _label(period: str) -> str:
    return {"today": "today", "week": "this week", "month": "this month", "all": "all time"}[period]


def _render_prometheus(data: dict[str, Any], dims: tuple[str, ...]) -> None:
    periods = data["periods"]
    console.print(f"[dim]source: {data['source']}[/]")
    table = Table(title="cost")
    table.add_column("period")
    table.add_column("cost", justify="right")
    table.add_column("unpriced requests (cost unknown)", justify="right")
    table.add_column("unpriced tokens (metrics only)", justify="right")
    for period, e in periods.items():
        unknown = e["unpriced_requests"] or e["unpriced_tokens"]
        table.add_row(_label(period), cost_cell(e["cost_usd"], unknown),
                      f"[yellow]{fmt_int(e['unpriced_requests'])}[/]" if e["unpriced_requests"] else "0",
                      f"[yellow]{fmt_int(e['unpriced_tokens'])}[/]" if e["unpriced_tokens"] else "0")
    console.print(table)
    if any(e["unpriced_tokens"] for e in periods.values()):
        console.print("[yellow]Some services sent token metrics without spans: their cost is unknown, "
                      "not $0 — export their traces to the collector to have them priced.[/]")
    for dim in dims:
        keys: list[str] = []
        for e in periods.values():
            keys += [k for k in e[f"by_{dim}"] if k not in keys]
        if not keys:
            continue
        table = Table(title=f"cost by {dim}")
        table.add_column(dim)
        for period in periods:
            table.add_column(_label(period), justify="right")
        for key in keys:
            cells = []
            for e in periods.values():
                row = e[f"by_{dim}"].get(key)
                cells.append(cost_cell(row["cost_usd"], row["unpriced_requests"]) if row else "-")
            table.add_row(escape(key or "(none)"), *cells)
        console.print(table)


def cost_cell(value: float, unpriced: float) -> str:
    if unpriced and not value:
        return cost_text(None, unpriced)
    return fmt_usd(value) + (f" [yellow]+{fmt_int(unpriced)} unpriced[/]" if unpriced else "")

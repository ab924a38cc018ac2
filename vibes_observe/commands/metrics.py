"""`vibes observe metrics`: requests, errors, latency, tokens and cost from Prometheus."""

from __future__ import annotations

import time
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands._common import (console, cost_text, emit_json, endpoints, fmt_int,
                                            fmt_seconds, fmt_time, fmt_usd, json_option,
                                            parse_duration)
from vibes_observe.queries import measures as q
from vibes_observe.queries.report import summary
from vibes_sdk import names as n

def _pct(rate: float | None) -> str:
    return "-" if rate is None else f"{rate * 100:.1f}%"


def _summary_table(title: str, rows: dict[str, dict[str, Any]], first: str) -> Table:
    table = Table(title=title)
    for col in (first, "requests", "errors", "error rate", "p50", "p95", "p99",
                "input tok", "output tok", "cost", "unpriced"):
        table.add_column(col, justify="left" if col == first else "right")
    for key, f in rows.items():
        table.add_row(escape(key), fmt_int(f["requests"]), fmt_int(f["errors"]), _pct(f["error_rate"]),
                      fmt_seconds(f["latency_p50_s"]), fmt_seconds(f["latency_p95_s"]),
                      fmt_seconds(f["latency_p99_s"]), fmt_int(f["tokens"].get(n.TOKEN_INPUT, 0)),
                      fmt_int(f["tokens"].get(n.TOKEN_OUTPUT, 0)), cost_text(f["cost_usd"], f["unpriced_requests"]),
                      f"[yellow]{fmt_int(f['unpriced_requests'])}[/]" if f["unpriced_requests"] else "0")
    return table


@click.command()
@click.option("--window", default="1h", show_default=True, help="Look back this far: 15m, 1h, 1d, 7d.")
@click.option("--by", "dims", multiple=True, type=click.Choice(sorted(q.DIMENSIONS)),
              default=("model", "agent"), show_default=True, help="Break down by (repeatable).")
@click.option("--agent", help="Only this agent.")
@click.option("--model", help="Only this model.")
@click.option("--cost-center", help="Only this cost center.")
@click.option("--service", help="Only this service (Prometheus job).")
@click.option("--step", metavar="DURATION", help="Also show a time series in steps of this size (range query).")
@json_option
def metrics(window, dims, agent, model, cost_center, service, step, as_json) -> None:
    """Request, error-rate, latency (p50/p95/p99), token and cost summaries."""
    window_s = int(parse_duration(window, "--window"))
    prom = PrometheusClient(endpoints().prometheus)
    filters = {"agent": agent, "model": model, "cost_center": cost_center, "service": service}
    result: dict[str, Any] = {"source": f"Prometheus {prom.url}", "window": window,
                              "filters": {k: v for k, v in filters.items() if v},
                              "total": summary(prom, window_s, filters)}
    for dim in dims:
        result[f"by_{dim}"] = summary(prom, window_s, filters, dim)
    if step:
        result["series"] = series(prom, window_s, int(parse_duration(step, "--step")), filters)
    if as_json:
        emit_json(result)
        return
    t = result["total"]
    console.print(f"[bold]last {window}[/] from Prometheus {prom.url}"
                  + (f"  filters: {result['filters']}" if result["filters"] else ""))
    console.print(f"requests {fmt_int(t['requests'])}   errors {fmt_int(t['errors'])} "
                  f"({_pct(t['error_rate'])})   latency p50 {fmt_seconds(t['latency_p50_s'])} "
                  f"p95 {fmt_seconds(t['latency_p95_s'])} p99 {fmt_seconds(t['latency_p99_s'])}")
    console.print("tokens  " + ("   ".join(f"{k} {fmt_int(v)}" for k, v in t["tokens"].items()) or "none")
                  + f"   cost {cost_text(t['cost_usd'], t['unpriced_requests'])}"
                  + (f"   [yellow]{fmt_int(t['unpriced_requests'])} unpriced request(s): cost unknown[/]"
                     if t["unpriced_requests"] else ""))
    for dim in dims:
        rows = result[f"by_{dim}"]
        if rows:
            console.print(_summary_table(f"by {dim}", rows, dim))
    if step:
        table = Table(title=f"every {step}")
        for col in ("until", "requests", "errors", "input tok", "output tok", "cost"):
            table.add_column(col, justify="left" if col == "until" else "right")
        for row in result["series"]:
            table.add_row(fmt_time(row["time"]), fmt_int(row["requests"]), fmt_int(row["errors"]),
                          fmt_int(row["input_tokens"]), fmt_int(row["output_tokens"]), fmt_usd(row["cost_usd"]))
        console.print(table)


def series(prom: PrometheusClient, window_s: int, step_s: int, filters) -> list[dict[str, Any]]:
    """Per-step totals over the window (each point covers the ``step_s`` before it)."""
    end = time.time()
    start = end - window_s + step_s
    sel = q.matchers(filters)
    exprs = {"requests": q.requests(step_s, [], filters), "errors": q.errors(step_s, [], filters),
             "input_tokens": q.tokens(step_s, [], q.matchers(filters, f'{q.TOKEN_TYPE_LABEL}="{n.TOKEN_INPUT}"')),
             "output_tokens": q.tokens(step_s, [], q.matchers(filters, f'{q.TOKEN_TYPE_LABEL}="{n.TOKEN_OUTPUT}"')),
             "cost_usd": q.cost(step_s, [], sel)}
    points: dict[float, dict[str, Any]] = {}
    for key, expr in exprs.items():
        for s in prom.query_range(expr, start, end, step_s):
            for ts, value in s.points:
                points.setdefault(ts, {"time": ts})[key] = points.get(ts, {}).get(key, 0.0) + value
    rows = []
    for ts in sorted(points):
        row = {k: 0.0 for k in exprs} | points[ts]
        rows.append(row)
    return rows

"""`vibes observe cost`: what the agents cost.

Totals and model/agent/cost-center breakdowns come from Prometheus (the exact
``vibes.llm.cost.usd`` counter); per-session and per-user figures come from traces
(sum of ``vibes.cost.usd`` on inference spans), because sessions and users are never
metric labels; a closed session with no trace at all (sampled out, trace store trimmed)
is filled in from its ``vibes.session.summary`` log record. Every figure says which source it came from; usage of models without
a price is reported as unpriced, never as $0."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.clients import BackendError
from vibes_observe.clients import promql as q
from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.logs_model import LogEntry, LogFilter
from vibes_observe.clients.logstore import LogStore
from vibes_observe.clients.loki import LokiClient, build_logql
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands._common import (console, emit_json, endpoints, fmt_int, fmt_usd,
                                            json_option, parse_time, period_start)
from vibes_observe.commands._spans import Usage
from vibes_observe.commands.logs import pick_source
from vibes_observe.commands.metrics import cost_text, count
from vibes_observe.commands.traces import search
from vibes_sdk import names as n

PERIODS = ("today", "week", "month", "all")
_ALL_TIME_S = 10 * 365 * 86400  # "all time": everything Prometheus still retains
PROM_DIMENSIONS = ("model", "agent", "cost_center")
TRACE_DIMENSIONS = {"session": n.VIBES_SESSION_ID, "user": n.VIBES_USER_ID}


def period_window_s(period: str, now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    start = period_start(period, now)
    return _ALL_TIME_S if start is None else max(1, int((now - start).total_seconds()))


def prometheus_costs(prom: PrometheusClient, periods: tuple[str, ...], dims: tuple[str, ...],
                     filters: dict[str, str | None]) -> dict[str, Any]:
    sel = q.matchers(filters)
    now = datetime.now(timezone.utc)
    out: dict[str, Any] = {"source": f"Prometheus {prom.url} ({n.COST.prom}, {n.UNPRICED_REQUESTS.prom})",
                           "periods": {}}
    for period in periods:
        w = period_window_s(period, now)
        entry: dict[str, Any] = {
            "since": None if period == "all" else period_start(period, now).isoformat(),
            "cost_usd": round(sum(s.value for s in prom.query(q.cost(w, [], sel))), 10),
            "unpriced_requests": count(sum(s.value for s in prom.query(q.unpriced_requests(w, [], sel))))}
        for dim in dims:
            label = q.DIMENSIONS[dim]
            rows: dict[str, dict[str, float]] = {}
            for s in prom.query(q.cost(w, [label], sel)):
                rows.setdefault(s.labels.get(label, ""), {"cost_usd": 0.0, "unpriced_requests": 0})["cost_usd"] = round(s.value, 10)
            for s in prom.query(q.unpriced_requests(w, [label], sel)):
                rows.setdefault(s.labels.get(label, ""), {"cost_usd": 0.0, "unpriced_requests": 0})["unpriced_requests"] = count(s.value)
            entry[f"by_{dim}"] = dict(sorted(rows.items(), key=lambda kv: -kv[1]["cost_usd"]))
        out["periods"][period] = entry
    return out


def _attr(entry: LogEntry, key: str) -> Any:
    """An attribute from the file store (OTLP keys) or Loki (structured metadata, underscores)."""
    value = entry.attributes.get(key)
    return entry.attributes.get(n.prom_label(key)) if value is None else value


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def session_summaries(logs: Any, *, since_ns: int, service: str | None, session: str | None,
                      user: str | None) -> dict[str, tuple[str, Usage]]:
    """session id -> (user id, totals) from the SDK's one-per-closed-session summary records."""
    flt = LogFilter(service=service, session=session, since_ns=since_ns)
    event = f'{n.prom_label(n.LOG_EVENT_NAME)}="{n.VIBES_EVENT_SESSION_SUMMARY}"'
    if isinstance(logs, LokiClient):
        entries = logs.query_all(f"{build_logql(flt)} | {event}", start_ns=since_ns,
                                 end_ns=time.time_ns() + 10**9,
                                 page=5000)
    else:
        entries = [e for e in logs.read_all() if flt.matches(e)]
    out: dict[str, tuple[str, Usage]] = {}
    for e in entries:
        if _attr(e, n.LOG_EVENT_NAME) != n.VIBES_EVENT_SESSION_SUMMARY or not e.session_id:
            continue
        uid = str(_attr(e, n.VIBES_USER_ID) or "")
        if user and uid != user:
            continue
        u = Usage()
        u.calls = _int(_attr(e, n.VIBES_SESSION_LLM_CALLS))
        u.unpriced_calls = _int(_attr(e, n.VIBES_SESSION_UNPRICED_CALLS))
        u.priced_calls = max(0, u.calls - u.unpriced_calls)
        u.input_tokens = _int(_attr(e, n.GEN_AI_USAGE_INPUT_TOKENS))
        u.output_tokens = _int(_attr(e, n.GEN_AI_USAGE_OUTPUT_TOKENS))
        u.cache_read_tokens = _int(_attr(e, n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS))
        u.reasoning_tokens = _int(_attr(e, n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS))
        try:
            u.cost_usd = float(_attr(e, n.VIBES_COST_USD) or 0.0)
        except (TypeError, ValueError):
            u.cost_usd = 0.0
        out[e.session_id] = (uid, u)
    return out


def _add(total: Usage, part: Usage) -> None:
    for f in ("calls", "priced_calls", "unpriced_calls", "input_tokens", "output_tokens",
              "cache_read_tokens", "reasoning_tokens", "cost_usd"):
        setattr(total, f, getattr(total, f) + getattr(part, f))


def trace_costs(jaeger: JaegerClient, dim: str | None, *, session: str | None, user: str | None,
                since: str, limit: int, service: str | None = None, logs: Any = None) -> dict[str, Any]:
    """Cost grouped by session or user, summed from the spans of matching traces.

    With ``logs`` (a log source), closed sessions that have no trace at all are added
    from their summary records."""
    found = search(jaeger, session=session, service=service, since=since, limit=limit)
    groups: dict[str, Usage] = {}
    traced_sessions: set[str] = set()
    for trace in found:
        for span in trace.spans:
            key = {"session": span.tag(n.VIBES_SESSION_ID), "user": span.tag(n.VIBES_USER_ID)}
            if user and key["user"] != user:
                continue
            if key["session"]:
                traced_sessions.add(str(key["session"]))
            if dim:
                name = str(key[dim]) if key[dim] else "(none)"
            else:
                name = session or user or "all"
            groups.setdefault(name, Usage()).add_span(span)
    result: dict[str, Any] = {
        "source": f"Jaeger {jaeger.url} traces (sum of {n.VIBES_COST_USD} on inference spans)",
        "since": since, "traces": len(found), "truncated": len(found) >= limit}
    if logs is not None:
        from_logs: list[str] = []
        try:
            since_ns = int(parse_time(since, "--since") * 1e9)
            summaries = session_summaries(logs, since_ns=since_ns, service=service, session=session, user=user)
            for sid, (uid, usage) in sorted(summaries.items()):
                if sid in traced_sessions:
                    continue  # traces are the detailed view (and include calls of open sessions)
                name = {"session": sid, "user": uid or "(none)"}.get(dim or "", session or user or "all")
                _add(groups.setdefault(name, Usage()), usage)
                from_logs.append(sid)
            result["from_logs"] = {"source": f"{logs.describe()} ({n.VIBES_EVENT_SESSION_SUMMARY} records)",
                                   "sessions": from_logs}
        except (BackendError, OSError) as exc:
            result["from_logs"] = {"source": logs.describe(), "sessions": [], "error": str(exc)}
    result["groups"] = {k: v.to_dict() for k, v in sorted(groups.items(), key=lambda kv: -kv[1].cost_usd)}
    return result


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
        result["traces"] = trace_costs(JaegerClient(ep.jaeger), trace_dims[0] if trace_dims else None,
                                       session=session, user=user, since=since, limit=limit,
                                       service=service, logs=_log_source())
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
        _render_traces(result["traces"], trace_dims[0] if trace_dims else ("session" if session else "user"))


def _log_source() -> Any:
    """Loki when configured or answering, else the native file store; None when neither exists."""
    try:
        source = pick_source("auto")
    except BackendError:
        return None
    if isinstance(source, LogStore) and not source.directory.is_dir():
        return None
    return source


def _label(period: str) -> str:
    return {"today": "today", "week": "this week", "month": "this month", "all": "all time"}[period]


def _render_prometheus(data: dict[str, Any], dims: tuple[str, ...]) -> None:
    periods = data["periods"]
    console.print(f"[dim]source: {data['source']}[/]")
    table = Table(title="cost")
    table.add_column("period")
    table.add_column("cost", justify="right")
    table.add_column("unpriced requests (cost unknown)", justify="right")
    for period, e in periods.items():
        table.add_row(_label(period), _cost_cell(e["cost_usd"], e["unpriced_requests"]),
                      f"[yellow]{fmt_int(e['unpriced_requests'])}[/]" if e["unpriced_requests"] else "0")
    console.print(table)
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
                cells.append(_cost_cell(row["cost_usd"], row["unpriced_requests"]) if row else "-")
            table.add_row(escape(key or "(none)"), *cells)
        console.print(table)


def _cost_cell(value: float, unpriced: float) -> str:
    if unpriced and not value:
        return cost_text(None, unpriced)
    return fmt_usd(value) + (f" [yellow]+{fmt_int(unpriced)} unpriced[/]" if unpriced else "")


def _render_traces(data: dict[str, Any], dim: str) -> None:
    console.print(f"[dim]source: {data['source']}, last {data['since']}, {data['traces']} trace(s)"
                  + (" — limit reached, figures may be partial (raise --limit)" if data["truncated"] else "")
                  + "[/]")
    logs = data.get("from_logs")
    if logs and logs.get("error"):
        console.print(f"[yellow]session summaries not read from {escape(logs['source'])}: "
                      f"{escape(logs['error'])}[/]")
    elif logs and logs["sessions"]:
        console.print(f"[dim]{len(logs['sessions'])} closed session(s) without traces (e.g. sampled out) "
                      f"added from {escape(logs['source'])}[/]")
    if not data["groups"]:
        console.print("no matching traces or session summaries")
        return
    table = Table(title=f"cost by {dim} (traces)")
    for col in (dim, "calls", "input tok", "output tok", "cost", "unpriced calls", "unpriced models"):
        table.add_column(col, justify="left" if col in (dim, "unpriced models") else "right")
    for key, u in data["groups"].items():
        table.add_row(escape(key), fmt_int(u["calls"]), fmt_int(u["input_tokens"]), fmt_int(u["output_tokens"]),
                      _cost_cell(u["cost_usd"], u["unpriced_calls"]),
                      f"[yellow]{u['unpriced_calls']}[/]" if u["unpriced_calls"] else "0",
                      escape(", ".join(u["unpriced_models"])) or "-")
    console.print(table)

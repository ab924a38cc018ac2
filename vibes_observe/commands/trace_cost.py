"""Cost per session or user, from traces (and closed sessions' summary log records):
sessions and users are never metric labels. Imported only by `cost --session/--user/--by
session|user`, so the Prometheus-only `cost` starts without the trace and log clients."""

from __future__ import annotations

import time
from typing import Any

from rich.markup import escape
from rich.table import Table

from vibes_observe.clients import BackendError
from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.logs_model import LogEntry, LogFilter
from vibes_observe.clients.loki import LokiClient, build_logql
from vibes_observe.clients.victorialogs import VictoriaLogsClient, build_logsql, quote
from vibes_observe.commands._common import console, fmt_int, parse_time
from vibes_observe.commands._spans import Usage
from vibes_observe.commands.cost import cost_cell
from vibes_observe.commands.logs import pick_source
from vibes_observe.commands._traces import search
from vibes_sdk import names as n


def _attr(entry: LogEntry, key: str) -> Any:
    """An attribute from the file store (OTLP keys) or Loki (structured metadata, underscores)."""
    value = entry.attributes.get(key)
    return entry.attributes.get(n.prom_label(key)) if value is None else value


def _int(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


#: the summary fields cost needs, aggregated per (session, user) inside VictoriaLogs.
SUMMARY_FIELDS = (n.VIBES_SESSION_LLM_CALLS, n.VIBES_SESSION_UNPRICED_CALLS, n.GEN_AI_USAGE_INPUT_TOKENS,
                  n.GEN_AI_USAGE_OUTPUT_TOKENS, n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
                  n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, n.VIBES_COST_USD)


def summaries_logsql(flt: LogFilter) -> str:
    """One row per (session, user): a server-side stats query, no record reaches Python.

    max, not sum: a session has one summary, and at-least-once delivery may store it twice."""
    stats = ", ".join(f"max({quote(f)}) {quote(f)}" for f in SUMMARY_FIELDS)
    return (f"{build_logsql(flt)} {quote(n.LOG_EVENT_NAME)}:={quote(n.VIBES_EVENT_SESSION_SUMMARY)} "
            f"{quote(n.VIBES_SESSION_ID)}:* | stats by ({quote(n.VIBES_SESSION_ID)}, {quote(n.VIBES_USER_ID)}) "
            f"{stats}")


def _summary_rows(logs: VictoriaLogsClient, flt: LogFilter, since_ns: int) -> list[LogEntry]:
    rows = logs.rows(summaries_logsql(flt), start_ns=since_ns, end_ns=time.time_ns() + 10**9)
    return [LogEntry(time_ns=since_ns, level="INFO", body=n.VIBES_EVENT_SESSION_SUMMARY,
                     attributes={**r, n.LOG_EVENT_NAME: n.VIBES_EVENT_SESSION_SUMMARY}) for r in rows]


def session_summaries(logs: Any, *, since_ns: int, service: str | None, session: str | None,
                      user: str | None) -> dict[str, tuple[str, Usage]]:
    """session id -> (user id, totals) from the SDK's one-per-closed-session summary records."""
    flt = LogFilter(service=service, session=session, since_ns=since_ns)
    event = f'{n.prom_label(n.LOG_EVENT_NAME)}="{n.VIBES_EVENT_SESSION_SUMMARY}"'
    if isinstance(logs, VictoriaLogsClient):
        entries = _summary_rows(logs, flt, since_ns)
    elif isinstance(logs, LokiClient):
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


def log_source() -> Any:
    """Loki when configured or answering, else VictoriaLogs (an error there is reported, not fatal)."""
    return pick_source("auto")


def render_traces(data: dict[str, Any], dim: str) -> None:
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
                      cost_cell(u["cost_usd"], u["unpriced_calls"]),
                      f"[yellow]{u['unpriced_calls']}[/]" if u["unpriced_calls"] else "0",
                      escape(", ".join(u["unpriced_models"])) or "-")
    console.print(table)

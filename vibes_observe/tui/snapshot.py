"""Everything the dashboard shows, fetched in one go; each backend on its own, so one
that is down only blanks (and names the reason on) the panels it feeds."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from vibes_observe.clients import BackendError, Endpoints
from vibes_observe.queries import measures as q
from vibes_observe.queries.report import PERIODS
from vibes_sdk import names as n

#: key → (window seconds, chart bucket seconds)
RANGES = {"1h": (3600, 300), "24h": (86400, 3600), "7d": (7 * 86400, 3600)}
COST_DIMS = ("model", "agent", "cost_center")
#: panel group → the backend that feeds it
SOURCES = {"metrics": "prometheus", "sessions": "jaeger", "alerts": "alertmanager"}


@dataclass
class Snapshot:
    taken_at: float
    range_key: str
    summary: dict[str, Any] | None = None
    latency_avg_s: float | None = None
    by_model: dict[str, Any] | None = None
    by_agent: dict[str, Any] | None = None
    tools: dict[str, dict[str, float]] | None = None
    costs: dict[str, Any] | None = None
    active: dict[str, float | None] = field(default_factory=dict)
    chart: list[tuple[float, float]] | None = None
    sessions: list[dict[str, Any]] | None = None
    alerts: list[dict[str, Any]] | None = None
    errors: dict[str, str] = field(default_factory=dict)

    def down(self, group: str) -> str | None:
        """Why the backend feeding ``group`` did not answer (None: it answered)."""
        return self.errors.get(SOURCES[group])


def _metrics(snap: Snapshot, ep: Endpoints, filters: dict[str, str | None]) -> None:
    from vibes_observe.clients.prometheus import PrometheusClient
    from vibes_observe.queries.report import costs, summary

    window_s, step_s = RANGES[snap.range_key]
    prom = PrometheusClient(ep.prometheus, timeout=5)
    snap.summary = summary(prom, window_s, filters)
    avg = prom.query(q.latency_mean(window_s, filters))
    snap.latency_avg_s = avg[0].value if avg else None
    snap.by_model = summary(prom, window_s, filters, "model")
    snap.by_agent = summary(prom, window_s, filters, "agent")
    tool_filters = {k: v for k, v in filters.items() if k in ("agent", "service")}
    calls = prom.query(q.tool_calls(window_s, [q.TOOL_LABEL], tool_filters))
    failed = {s.labels.get(q.TOOL_LABEL, ""): s.value
              for s in prom.query(q.tool_calls(window_s, [q.TOOL_LABEL], tool_filters, errors=True))}
    snap.tools = {s.labels.get(q.TOOL_LABEL, ""): {"calls": s.value, "errors": failed.get(s.labels.get(q.TOOL_LABEL, ""), 0.0)}
                  for s in calls}
    snap.costs = costs(prom, PERIODS, COST_DIMS, filters)["periods"]
    for key, inst in (("sessions", n.SESSION_ACTIVE), ("agents", n.AGENT_ACTIVE), ("swarms", n.SWARM_ACTIVE)):
        samples = prom.query(q.gauge_sum(inst))
        snap.active[key] = samples[0].value if samples else None
    end = time.time()
    series = prom.query_range(q.requests_per_step(step_s, filters), end - window_s + step_s, end, step_s)
    snap.chart = series[0].points if series else []


def _sessions(snap: Snapshot, ep: Endpoints, filters: dict[str, str | None]) -> None:
    from vibes_observe.clients.jaeger import JaegerClient
    from vibes_observe.commands._traces import search, trace_summary

    window_s, _ = RANGES[snap.range_key]
    found = search(JaegerClient(ep.jaeger, timeout=5), agent=filters.get("agent"), service=filters.get("service"),
                   since=f"{window_s}s", limit=200)
    sessions: dict[str, dict[str, Any]] = {}
    for row in map(trace_summary, found):
        if not row["session"]:
            continue
        s = sessions.setdefault(row["session"], {"session": row["session"], "agent": row["agent"], "traces": 0,
                                                 "spans": 0, "errors": 0, "input_tokens": 0, "output_tokens": 0,
                                                 "cost_usd": 0.0, "unpriced_calls": 0, "last": row["start"]})
        s["traces"] += 1
        for key in ("spans", "errors", "input_tokens", "output_tokens", "cost_usd", "unpriced_calls"):
            s[key] += row[key] or 0
        s["last"] = max(s["last"], row["start"])
    snap.sessions = sorted(sessions.values(), key=lambda s: s["last"], reverse=True)


def _alerts(snap: Snapshot, ep: Endpoints) -> None:
    from vibes_observe.clients.alertmanager import AlertmanagerClient
    snap.alerts = AlertmanagerClient(ep.alertmanager, timeout=5).alerts()


def gather(ep: Endpoints, range_key: str = "1h", filters: dict[str, str | None] | None = None) -> Snapshot:
    filters = {k: v for k, v in (filters or {}).items() if v}
    snap = Snapshot(taken_at=time.time(), range_key=range_key)
    for backend, fetch in (("prometheus", lambda: _metrics(snap, ep, filters)),
                           ("jaeger", lambda: _sessions(snap, ep, filters)),
                           ("alertmanager", lambda: _alerts(snap, ep))):
        try:
            fetch()
        except BackendError as exc:
            snap.errors[backend] = str(exc)
    return snap

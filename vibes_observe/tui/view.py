"""What each dashboard panel shows, as plain text and rows (used by the Textual app
and by `dashboard --once`), computed from a :class:`Snapshot`."""

from __future__ import annotations

from vibes_observe.commands._common import fmt_int, fmt_seconds, fmt_usd
from vibes_observe.tui.snapshot import PERIODS, Snapshot
from vibes_sdk import names as n

PERIOD_TITLES = {"today": "today", "week": "this week", "month": "this month", "all": "all time"}
TOP = 8


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def cost_text(cost: float | None, unpriced: float | int | None) -> str:
    """Dollars, flagged when some calls had no price (never $0 for unknown)."""
    text = "unpriced" if cost is None else fmt_usd(cost)
    return f"{text} +{fmt_int(unpriced)} unpriced" if unpriced and cost is not None else text


def tiles(snap: Snapshot) -> list[tuple[str, str, str]]:
    """(id, title, value) of the figure tiles."""
    s = snap.summary
    if snap.down("metrics") or s is None:
        return []
    tok = s["tokens"]
    costs = snap.costs or {}
    cost = "\n".join(f"{p:<6}{cost_text(costs[p]['cost_usd'], costs[p]['unpriced_requests'])}"
                     for p in PERIODS if p in costs)
    rate = s["error_rate"]
    active = snap.active

    def gauge(key: str) -> str:
        return "n/a" if active.get(key) is None else fmt_int(active[key])

    return [
        ("requests", "requests", fmt_int(s["requests"])),
        ("tokens", "tokens in / out", f"{fmt_int(tok.get(n.TOKEN_INPUT, 0))} / {fmt_int(tok.get(n.TOKEN_OUTPUT, 0))}"),
        ("cost", "cost (UTC periods)", cost),
        ("latency", "latency avg / p99", f"{fmt_seconds(snap.latency_avg_s)} / {fmt_seconds(s['latency_p99_s'])}"),
        ("rates", "success / error rate", f"{_pct(None if rate is None else 1 - rate)} / {_pct(rate)}"),
        ("active", "sessions/agents/swarms", f"{gauge('sessions')} / {gauge('agents')} / {gauge('swarms')}"),
    ]


Table = tuple[tuple[str, ...], list[tuple[str, ...]]]


def _ranked(rows: dict) -> list:
    return sorted(rows.items(), key=lambda kv: (-(kv[1]["requests"] or 0), kv[0]))[:TOP]


def figures_table(rows: dict | None) -> Table:
    """Top models or agents: requests, error rate, tokens, cost."""
    cols = ("name", "requests", "error rate", "tokens in+out", "cost")
    return cols, [(name, fmt_int(f["requests"]), _pct(f["error_rate"]),
                   fmt_int(f["tokens"].get(n.TOKEN_INPUT, 0) + f["tokens"].get(n.TOKEN_OUTPUT, 0)),
                   cost_text(f["cost_usd"], f["unpriced_requests"])) for name, f in _ranked(rows or {})]


def tools_table(snap: Snapshot) -> Table:
    ranked = sorted((snap.tools or {}).items(), key=lambda kv: (-kv[1]["calls"], kv[0]))[:TOP]
    return ("tool", "calls", "errors", "error rate"), [
        (tool, fmt_int(f["calls"]), fmt_int(f["errors"]), _pct(f["errors"] / f["calls"] if f["calls"] else None))
        for tool, f in ranked]


def alerts_table(snap: Snapshot) -> Table:
    order = {"critical": 0, "warning": 1, "info": 2}
    alerts = sorted(snap.alerts or [], key=lambda a: (order.get(a["labels"].get("severity", ""), 3),
                                                      a["labels"].get("alertname", "")))
    return ("severity", "alert", "summary"), [
        (a["labels"].get("severity", "-"), a["labels"].get("alertname", "?"), a.get("annotations", {}).get("summary", ""))
        for a in alerts]


def cost_periods_table(snap: Snapshot) -> Table:
    costs = snap.costs or {}
    return ("period", "cost", "unpriced requests"), [
        (PERIOD_TITLES[p], cost_text(costs[p]["cost_usd"], costs[p]["unpriced_requests"]),
         fmt_int(costs[p]["unpriced_requests"])) for p in PERIODS if p in costs]


def cost_by_table(snap: Snapshot, dim: str) -> Table:
    costs = snap.costs or {}
    names = list(dict.fromkeys(k for p in PERIODS if p in costs for k in costs[p].get(f"by_{dim}", {})))
    rows = []
    for name in names[:TOP]:
        cells = []
        for p in PERIODS:
            f = costs.get(p, {}).get(f"by_{dim}", {}).get(name)
            cells.append("-" if f is None else cost_text(None if not f["cost_usd"] and f["unpriced_requests"]
                                                         else f["cost_usd"], f["unpriced_requests"]))
        rows.append((name or "(none)", *cells))
    return (dim.replace("_", " "), *(PERIOD_TITLES[p] for p in PERIODS)), rows


def sessions_table(snap: Snapshot) -> Table:
    return ("session", "agent", "last trace", "traces", "errors", "tokens in/out", "cost"), [
        (s["session"], s["agent"] or "-", s["last"], fmt_int(s["traces"]), fmt_int(s["errors"]),
         f"{fmt_int(s['input_tokens'])}/{fmt_int(s['output_tokens'])}",
         cost_text(s["cost_usd"], s["unpriced_calls"])) for s in snap.sessions or []]


def chart_title(snap: Snapshot, bucket_s: int) -> str:
    points = snap.chart or []
    per = "hour" if bucket_s == 3600 else f"{bucket_s // 60} min"
    total = sum(v for _, v in points)
    peak = max((v for _, v in points), default=0)
    return f"requests per {per} (last {snap.range_key}): {fmt_int(total)} in all, peak {fmt_int(peak)}"

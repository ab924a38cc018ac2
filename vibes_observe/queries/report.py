"""Figures read from Prometheus for the CLI and the TUI (queries from :mod:`measures`).

Neutral ground: ``vibes observe metrics``, ``vibes observe cost`` and the dashboard TUI
all take their totals from here, never from one another.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.queries import measures as q
from vibes_sdk import names as n

PERIODS = ("today", "week", "month", "all")
#: CLI period → the ledger rules' calendar period
RULE_PERIODS = {"today": "day", "week": "week", "month": "month"}
_ALL_TIME_S = 10 * 365 * 86400  # "all time": everything Prometheus still retains


def count(value: float) -> float | int:
    """Counts read back from Prometheus as floats; whole numbers print as integers."""
    return int(value) if float(value).is_integer() else value


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """Start of today / this week (Monday) / this month as UTC calendar periods — the same
    periods the budget rules and dashboards use, so every "cost today" agrees; None for all time."""
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "today":
        return midnight
    if period == "week":
        return midnight - timedelta(days=midnight.weekday())
    if period == "month":
        return midnight.replace(day=1)
    if period == "all":
        return None
    raise ValueError(f"{period!r}: expected today, week, month or all")


QUANTILES = (0.5, 0.95, 0.99)
_TOKEN_TYPES = (n.TOKEN_INPUT, n.TOKEN_OUTPUT, n.TOKEN_CACHE_READ, n.TOKEN_CACHE_CREATION,
                n.TOKEN_REASONING)


def count(value: float) -> float | int:
    """Counts read back from Prometheus as floats; whole numbers print as integers."""
    return int(value) if float(value).is_integer() else value


def _scalar(samples) -> float:
    return sum(s.value for s in samples)


def _by(samples, label: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for s in samples:
        key = s.labels.get(label, "")
        out[key] = out.get(key, 0.0) + s.value
    return out


def summary(prom: PrometheusClient, window_s: int, filters: dict[str, str | None],
            dimension: str | None = None) -> dict[str, Any]:
    """Totals over the window; with ``dimension``, the same figures per label value."""
    by = [q.DIMENSIONS[dimension]] if dimension else []
    sel = q.matchers(filters)
    requests = prom.query(q.requests(window_s, by, filters))
    errors = prom.query(q.errors(window_s, by, filters))
    tokens = prom.query(q.tokens(window_s, by, sel))
    cost = prom.query(q.cost(window_s, by, sel))
    unpriced = prom.query(q.unpriced_requests(window_s, by, sel))
    latency = {qq: prom.query(q.latency_quantile(qq, window_s, by, filters)) for qq in QUANTILES}

    def figures(pick) -> dict[str, Any]:
        req, err = count(pick(requests)), count(pick(errors))
        toks = {t: count(pick([s for s in tokens if s.labels.get(q.TOKEN_TYPE_LABEL) == t]))
                for t in _TOKEN_TYPES}
        return {"requests": req, "errors": err,
                "error_rate": (err / req) if req else None,
                **{f"latency_p{int(qq * 100)}_s": pick(latency[qq], mean=True) for qq in QUANTILES},
                "tokens": {t: v for t, v in toks.items() if v},
                # Usage (unpriced requests, or tokens) but no priced cost at all: unknown, not $0.
                "cost_usd": None if ((pick(unpriced) or any(toks.values())) and not pick(cost))
                else round(pick(cost), 10),
                "unpriced_requests": count(pick(unpriced))}

    if not by:
        return figures(lambda samples, mean=False: (_scalar(samples) if samples else (None if mean else 0.0)))
    label = by[0]
    keys = sorted(set().union(*(_by(x, label) for x in (requests, tokens, cost, unpriced))) - {""})

    def picker(key):
        def pick(samples, mean=False):
            vals = [s.value for s in samples if s.labels.get(label, "") == key]
            return vals[0] if mean and vals else (None if mean else sum(vals))
        return pick

    return {key: figures(picker(key)) for key in keys}


def cost_query(period: str, window_s: int, by: list[str], sel: str) -> str:
    """Cost in ``period``: the calendar-period ledger figure (raw growth where the ledger
    has not recorded a group yet); "all" is the raw growth over everything retained."""
    if period in RULE_PERIODS:
        return q.period_cost_or_raw(RULE_PERIODS[period], window_s, by, sel)
    return q.cost(window_s, by, sel)


def period_window_s(period: str, now: datetime | None = None) -> int:
    now = now or datetime.now(timezone.utc)
    start = period_start(period, now)
    return _ALL_TIME_S if start is None else max(1, int((now - start).total_seconds()))


def costs(prom: PrometheusClient, periods: tuple[str, ...], dims: tuple[str, ...],
          filters: dict[str, str | None], window_s: Callable[[str, datetime], int] = period_window_s
          ) -> dict[str, Any]:
    """Cost and unpriced usage per period (today/week/month: the ledger's calendar-period
    figure, see ``measures.period_cost``; all: everything retained), by ``dims``."""
    sel = q.matchers(filters)
    now = datetime.now(timezone.utc)
    out: dict[str, Any] = {"source": f"Prometheus {prom.url} ({n.COST.prom}, {n.UNPRICED_REQUESTS.prom})",
                           "periods": {}}
    def one(period: str) -> dict[str, Any]:
        w = window_s(period, now)
        entry: dict[str, Any] = {
            "since": None if period == "all" else period_start(period, now).isoformat(),
            "cost_usd": round(sum(s.value for s in prom.query(cost_query(period, w, [], sel))), 10),
            "unpriced_requests": count(sum(s.value for s in prom.query(q.unpriced_requests(w, [], sel)))),
            # token metrics from services nothing priced (no spans reached the collector)
            "unpriced_tokens": count(sum(s.value for s in prom.query(q.unpriced_tokens(w, [], sel))))}
        for dim in dims:
            label = q.DIMENSIONS[dim]
            rows: dict[str, dict[str, float]] = {}
            for s in prom.query(cost_query(period, w, [label], sel)):
                rows.setdefault(s.labels.get(label, ""), {"cost_usd": 0.0, "unpriced_requests": 0})["cost_usd"] = round(s.value, 10)
            for s in prom.query(q.unpriced_requests(w, [label], sel)):
                rows.setdefault(s.labels.get(label, ""), {"cost_usd": 0.0, "unpriced_requests": 0})["unpriced_requests"] = count(s.value)
            entry[f"by_{dim}"] = dict(sorted(rows.items(), key=lambda kv: -kv[1]["cost_usd"]))
        return entry

    # periods are independent queries: ask Prometheus for them at once (start-up latency)
    with ThreadPoolExecutor(max_workers=max(len(periods), 1)) as pool:
        out["periods"] = dict(zip(periods, pool.map(one, periods)))
    return out



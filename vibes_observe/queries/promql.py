"""PromQL primitives every query is built from: the rules, the dashboards and the CLI.

The counting choices (documented in docs/alerting.md, "How cost is counted"):

* **Ledger.** ``increase()`` extrapolates to the window edges and never counts the
  first sample of a new series, so a short-lived agent that exports one cumulative
  cost of $0.40 and exits would show $0.00. The ledger rules instead record, every
  ledger step, the exact per-series difference to the previous value: a new series
  counts in full, a counter reset counts the new value, a stale series counts
  nothing. Totals are then ``sum_over_time`` of the recorded increments: exact.
* **Calendar periods.** "Today" is the sum of the increments recorded since 00:00
  UTC, "this week" since Monday 00:00 UTC, "this month" since the 1st 00:00 UTC;
  ``increase(x[1d])`` would be a rolling 24 h instead. PromQL ranges are constants,
  so the period rules sum aligned hour blocks and minute blocks masked by a period
  index compared with the evaluation time (``@ end()``). The whole hours come from an
  hourly checkpoint (the only rule reading a whole month of the ledger, once an hour):
  a period evaluation adds the minute blocks since the checkpoint's boundary.
"""

from __future__ import annotations

from vibes_observe import durations
from vibes_observe.alerting import defaults

#: How far back the ledger looks for a series' previous value. A series silent for
#: longer that comes back with its old cumulative total would be counted again.
LEDGER_LOOKBACK = "1h"

# Evaluation time inside nested subqueries: a 1 s subquery pinned to the query end.
_EVAL_TIME = "max_over_time(vector(time())[1s:1s] @ end())"


def matchers(**labels: str | None) -> str:
    """``{a="x",b=~"y"}`` from keyword args; a value starting with ``~`` is a regex."""
    parts = []
    for key, value in labels.items():
        if value is None:
            continue
        if value.startswith("~"):
            parts.append(f'{key}=~"{value[1:]}"')
        elif value.startswith("!"):
            parts.append(f'{key}!="{value[1:]}"')
        else:
            parts.append(f'{key}="{value}"')
    return "{" + ",".join(parts) + "}" if parts else ""


def le_matcher(bound: float) -> str:
    """Matcher for a bucket bound however the exporter spells it: ``32`` or ``32.0``."""
    text = repr(float(bound)).removesuffix(".0")
    return f'=~"{text}|{text}\\\\.0"' if float(bound).is_integer() else f'="{text}"'


def by(keys: tuple[str, ...] | list[str]) -> str:
    return "by (" + ", ".join(keys) + ")"


def ledger(metric: str, keys: tuple[str, ...], step: str) -> str:
    """Exact increase of ``metric`` since the previous ledger step, summed by ``keys``."""
    prev = f"last_over_time({metric}[{LEDGER_LOOKBACK}] offset {step})"
    return f"sum {by(keys)} (({metric} - {prev}) >= 0 or {metric})"


def _period_index(period: str, t: str) -> str:
    """Index of the calendar period (UTC) containing the time vector ``t``."""
    if period == "day":
        return f"floor(({t}) / 86400)"
    if period == "week":  # 1970-01-01 was a Thursday: +3 days puts Monday at 0
        return f"floor((({t}) / 86400 + 3) / 7)"
    if period == "month":
        return f"(year({t}) * 12 + month({t}))"
    raise ValueError(f"unknown period {period!r}")


def _whole_hours(increments: str, period: str, margin_s: int) -> str:
    """Per series, the sum of the hour blocks of the current calendar period that ended at
    least ``margin_s`` before the evaluation (a range one millisecond short of the hour, so
    a sample on a block boundary is counted once: Prometheus 2.x ranges include both ends)."""
    max_range = {"day": "1d", "week": "1w", "month": "31d"}[period]
    block_t = "vector(time() - 1)"  # a block (s-step, s] belongs to the period of s-1s
    shift = f" offset {margin_s}s" if margin_s else ""
    return (f"sum_over_time((sum_over_time({increments}[3599999ms]) and on() "
            f"({_period_index(period, block_t)} == scalar({_period_index(period, _EVAL_TIME)})))"
            f"[{max_range}:1h]{shift})")


def _checkpoint_boundary(margin_s: int) -> str:
    """The last hour boundary at least ``margin_s`` old: where a checkpoint's hours end."""
    return f"scalar(floor(vector(time() - {margin_s}) / 3600) * 3600)"


def period_checkpoint(increments: str, period: str, keys: tuple[str, ...], margin_s: int) -> str:
    """The current period's whole hours so far by ``keys``: the one read of a whole period of
    the ledger, done once per checkpoint interval instead of by every period evaluation."""
    return f"sum {by(keys)} ({_whole_hours(increments, period, margin_s)})"


def period_checkpoint_end(checkpoint: str, margin_s: int) -> str:
    """Per checkpoint series, the hour boundary it counts to. Recorded after the checkpoint in
    the same group, from it: a checkpoint that failed leaves no newer boundary behind."""
    return f"{checkpoint} * 0 + {_checkpoint_boundary(margin_s)}"


def period_total(increments: str, period: str, keys: tuple[str, ...], *, fine_step_s: int,
                 checkpoint: str, checkpoint_end: str, lookback: str) -> str:
    """Sum of ledger ``increments`` recorded in the current calendar period (UTC).

    The whole hours up to the latest checkpoint's boundary come from the checkpoint (if it is
    from this period and within ``lookback``), everything after that boundary from
    ``fine_step_s`` blocks (the ledger step, at most a minute), so the figure lags by less
    than one block and a period evaluation reads hours of ledger, not the whole period.
    Without a checkpoint in ``lookback`` only the blocks of the last ``lookback`` + 1 h count.
    """
    block_t = "vector(time() - 1)"
    span_s = int(durations.seconds(lookback)) + 3600  # a checkpoint's boundary is ≤ 1 h before it
    latest_end = f"max(last_over_time({checkpoint_end}[{lookback}] @ end()))"
    boundary = f"scalar({latest_end} or ({_EVAL_TIME} - {span_s}))"
    hours = (f"(last_over_time({checkpoint}[{lookback}]) and (last_over_time({checkpoint_end}[{lookback}])"
             f" == {boundary})) and on() ({_period_index(period, f'vector({boundary})')} == "
             f"scalar({_period_index(period, 'vector(time())')}))")
    fine = (f"sum_over_time((sum_over_time({increments}[{fine_step_s * 1000 - 1}ms]) and on() "
            f"({_period_index(period, block_t)} == scalar({_period_index(period, _EVAL_TIME)})) "
            f"and on() (vector(time()) > {boundary}))[{span_s}s:{fine_step_s}s])")
    return (f'sum {by(keys)} (label_replace({hours}, "vibes_block", "hours", "", "") '
            f'or label_replace({fine}, "vibes_block", "minutes", "", ""))')


def period_remaining_seconds(period: str) -> str:
    """Seconds left in the current calendar period (UTC), as a scalar expression."""
    if period == "day":
        return "(86400 - time() % 86400)"
    if period == "week":
        return "(604800 - (time() + 259200) % 604800)"
    if period == "month":
        return ("(scalar(days_in_month()) * 86400 - ((scalar(day_of_month()) - 1) * 86400 "
                "+ time() % 86400))")
    raise ValueError(f"unknown period {period!r}")


def rate_sum(metric: str, keys: tuple[str, ...], window: str, **labels: str | None) -> str:
    return f"sum {by(keys)} (rate({metric}{matchers(**labels)}[{window}]))"


def quantile(q: float, bucket: str, keys: tuple[str, ...], window: str, **labels: str | None) -> str:
    return (f"histogram_quantile({q}, sum {by(tuple(keys) + ('le',))} "
            f"(rate({bucket}{matchers(**labels)}[{window}])))")


def increments(ledger_metric: str, keys: tuple[str, ...], window: str, selector: str = "") -> str:
    """Sum of exact ledger increments in ``window``, by ``keys``.

    The dashboards' time-series form of ``rate()``/``increase()``: a series whose first
    sample already holds all its observations counts in full (``rate()`` needs growth
    between two samples and shows nothing for it), and nothing is extrapolated.
    """
    grouping = f" {by(keys)}" if keys else ""
    return f"sum{grouping} (sum_over_time({ledger_metric}{selector}[{window}]))"


def increments_quantile(q: float, ledger_bucket: str, keys: tuple[str, ...], window: str,
                        selector: str = "") -> str:
    """``histogram_quantile`` over the ledger of bucket increments (a quantile is scale-free,
    so the window's sum of increments gives the same answer ``rate()`` would, first samples
    included)."""
    return f"histogram_quantile({q}, {increments(ledger_bucket, tuple(keys) + ('le',), window, selector)})"


def or_zero(expr: str, reference: str, on: tuple[str, ...]) -> str:
    """``expr``, plus a 0 for every ``on`` group of ``reference`` that ``expr`` lacks: a
    counter that never incremented has no series at all, and "no data" would look the
    same as a wrong query."""
    return f"{expr} or on({', '.join(on)}) ({reference}) * 0"


def budget_scope(scope: dict[str, str]) -> str:
    return matchers(**scope)


def cost_period_metric(period: str) -> str:
    return defaults.COST_PERIOD.format(period=period)

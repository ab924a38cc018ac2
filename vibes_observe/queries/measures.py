"""The quantities every reader asks for (cost, tokens, requests, errors, latency, tool
calls, unpriced usage), over a window or a calendar period, with filters and group-by:
the CLI, the TUI, the dashboards and the rules take them from here. PromQL built from
``vibes_sdk.names``: no metric or label name is spelled here.

Calendar periods read the ledger's period rules (``vibes:llm_cost_usd:day`` …): the
Cost dashboard's panels, the budgets' ``spent`` series and ``vibes observe cost`` are
:func:`period_cost`, so every "cost today" is the same expression.

Window totals use :func:`window_increase` rather than ``increase()``: each SDK process
exports its own cumulative series (own ``instance``), often short-lived, and
``increase()`` ignores the first sample of a series born inside the window — it would
report a one-shot agent run as 0 tokens and $0."""

from __future__ import annotations

import json

from vibes_observe.alerting import defaults as d
from vibes_sdk import names as n

# CLI dimension name → Prometheus label.
DIMENSIONS = {
    "model": n.prom_label(n.GEN_AI_REQUEST_MODEL),
    "agent": n.prom_label(n.GEN_AI_AGENT_NAME),
    "provider": n.prom_label(n.GEN_AI_PROVIDER_NAME),
    "operation": n.prom_label(n.GEN_AI_OPERATION_NAME),
    "cost_center": n.prom_label(n.VIBES_COST_CENTER),
    "service": n.PROM_SERVICE_LABEL,
}
TOKEN_TYPE_LABEL = n.prom_label(n.GEN_AI_TOKEN_TYPE)
ERROR_TYPE_LABEL = n.prom_label(n.ERROR_TYPE)
TOOL_LABEL = n.prom_label(n.GEN_AI_TOOL_NAME)


def matchers(filters: dict[str, str | None], extra: str = "") -> str:
    """``{label="value",...}`` from CLI dimension filters (None values ignored)."""
    parts = [f"{DIMENSIONS[dim]}={json.dumps(value)}" for dim, value in filters.items() if value]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def window_increase(metric: str, window_s: int | str, sel: str = "") -> str:
    """Per-series growth of a counter over the last ``window_s`` seconds (or a range such as
    Grafana's ``$__range``), counting series that first appeared inside the window from zero."""
    w = window_s if isinstance(window_s, str) else f"{int(window_s)}s"
    return (f"(clamp_min(max_over_time({metric}{sel}[{w}]) - {metric}{sel} offset {w}, 0)"
            f" or max_over_time({metric}{sel}[{w}]))")


def sum_by(expr: str, labels: list[str] | tuple[str, ...] = ()) -> str:
    return f"sum by ({', '.join(labels)}) ({expr})" if labels else f"sum({expr})"


def cost(window_s: int, by: list[str], sel: str = "") -> str:
    return sum_by(window_increase(n.COST.prom, window_s, sel), by)


def period_cost(period: str, by: list[str] | tuple[str, ...], sel: str = "") -> str:
    """Cost so far in the current calendar period (``day``/``week``/``month``, UTC), from the
    ledger's period rule: what the Cost dashboard shows and the budgets compare."""
    return sum_by(f"{d.COST_PERIOD.format(period=period)}{sel}", list(by))


def period_cost_or_raw(period: str, since_s: int, by: list[str], sel: str = "") -> str:
    """:func:`period_cost`, and for the groups the ledger has not recorded yet (data that
    arrived after its last step) the raw counters' growth since the period began."""
    return f"{period_cost(period, by, sel)} or {cost(since_s, by, sel)}"


def unpriced_requests(window_s: int, by: list[str], sel: str = "") -> str:
    return sum_by(window_increase(n.UNPRICED_REQUESTS.prom, window_s, sel), by)


def _semconv_tokens(window_s: int | str, keep: list[str], sel: str) -> list[str]:
    """Token totals per ``keep`` + token type from what a foreign emitter sent: the semconv
    histogram's sum, and the newer per-type counters (token type set by label_replace)."""
    out = [sum_by(window_increase(n.TOKEN_USAGE.prom_sum, window_s, sel), [*keep, TOKEN_TYPE_LABEL])]
    for token_type, inst in n.INFERENCE_USAGE_COUNTERS.items():
        per_type = sum_by(window_increase(inst.prom, window_s, sel), keep)
        out.append(f'label_replace({per_type}, "{TOKEN_TYPE_LABEL}", "{token_type}", "", "")')
    return out


def tokens(window_s: int, by: list[str], sel: str = "") -> str:
    """Tokens by type from whatever each service sent: vibes.llm.tokens where it exists (the
    SDK's, or the collector's for spans it priced), else the semconv histogram/counters."""
    keep = [n.PROM_SERVICE_LABEL, *by, TOKEN_TYPE_LABEL]
    ours = sum_by(window_increase(n.TOKENS.prom, window_s, sel), keep)
    either = " or ".join([ours, *_semconv_tokens(window_s, [n.PROM_SERVICE_LABEL, *by], sel)])
    return sum_by(f"({either})", [*by, TOKEN_TYPE_LABEL])


def unpriced_tokens(window_s: int | str, by: list[str], sel: str = "") -> str:
    """Tokens of services that sent token metrics but nothing vibes could price (no spans
    reached the collector's pricing, no vibes_sdk): usage with an unknown cost, never $0."""
    keep = [n.PROM_SERVICE_LABEL, *by]
    seen = " or ".join(_semconv_tokens(window_s, keep, sel))
    accounted = " or ".join(sum_by(window_increase(m.prom, window_s, sel), keep)
                            for m in (n.TOKENS, n.UNPRICED_REQUESTS))  # priced usage always has tokens
    return sum_by(f"(({seen}) unless on ({', '.join(keep)}) ({accounted}))", by)


def requests(window_s: int, by: list[str], filters: dict[str, str | None]) -> str:
    return sum_by(window_increase(n.OPERATION_DURATION.prom_count, window_s, matchers(filters)), by)


def errors(window_s: int, by: list[str], filters: dict[str, str | None]) -> str:
    sel = matchers(filters, f'{ERROR_TYPE_LABEL}!=""')
    return sum_by(window_increase(n.OPERATION_DURATION.prom_count, window_s, sel), by)


def latency_quantile(q: float, window_s: int, by: list[str], filters: dict[str, str | None]) -> str:
    buckets = window_increase(n.OPERATION_DURATION.prom_bucket, window_s, matchers(filters))
    return f"histogram_quantile({q}, {sum_by(buckets, [*by, 'le'])})"


def gauge_sum(instrument: n.Instrument, by: list[str] = ()) -> str:
    return sum_by(instrument.prom, by)


def latency_mean(window_s: int, filters: dict[str, str | None]) -> str:
    """Mean call duration over the window: exact sum of durations / exact count."""
    sel = matchers(filters)
    total = sum_by(window_increase(n.OPERATION_DURATION.prom_sum, window_s, sel))
    return f"{total} / {sum_by(window_increase(n.OPERATION_DURATION.prom_count, window_s, sel))}"


def tool_calls(window_s: int, by: list[str], filters: dict[str, str | None], errors: bool = False) -> str:
    sel = matchers(filters, f'{ERROR_TYPE_LABEL}!=""' if errors else "")
    return sum_by(window_increase(n.TOOL_DURATION.prom_count, window_s, sel), by)


def requests_per_step(step_s: int, filters: dict[str, str | None]) -> str:
    """For a range query at ``step_s``: requests made in each step."""
    return f"({requests(step_s, [], filters)}) or vector(0)"

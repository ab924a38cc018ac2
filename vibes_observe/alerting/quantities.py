"""Named quantities users alert on ("cost", "error rate", "latency p95" …), each defined
once: its words, unit, the SDK instrument it reads and the PromQL of its value.

Used by one-line alert rules (``vibes observe alerts add``); every metric and label
name comes from :mod:`vibes_sdk.names` through ``defaults`` and the query layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from vibes_observe import durations
from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.alerting.conditions import ErrorRate
from vibes_observe.queries.measures import window_increase
from vibes_sdk import names as n

#: Scope flag (``--model``) → Prometheus label.
SCOPE_LABELS = {"model": d.MODEL, "agent": d.AGENT, "cost_center": d.COST_CENTER, "service": d.JOB}


@dataclass(frozen=True)
class Quantity:
    name: str                    # the words users type
    aliases: tuple[str, ...]
    unit: str                    # usd | count | ratio | seconds
    about: str
    instrument: n.Instrument
    kind: str                    # counter | error_ratio | quantile | gauge
    metric: str                  # the Prometheus series the value reads
    default_window: str
    quantile: float | None = None
    match: tuple[tuple[str, str], ...] = ()  # fixed label matchers (e.g. token type)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Scope flags that apply: those whose label the instrument carries (service always)."""
        labels = {n.prom_label(a) for a in self.instrument.labels} | {d.JOB}
        return tuple(s for s, label in SCOPE_LABELS.items() if label in labels)

    def labels(self, scope: dict[str, str]) -> dict[str, str]:
        """Label → value (``alerting.promql.matchers`` syntax) for the fixed matchers and scope."""
        return {**dict(self.match), **{SCOPE_LABELS[k]: v for k, v in sorted(scope.items())}}

    def value(self, window: str, scope: dict[str, str]) -> str:
        """PromQL of the quantity over ``window`` (one series: everything in scope summed)."""
        labels = self.labels(scope)
        sel = promql.matchers(**labels)
        if self.kind == "counter":  # exact growth: a series born inside the window counts from 0
            seconds = int(durations.seconds(window))
            return f"(sum({window_increase(self.metric, seconds, sel)}) or vector(0))"
        if self.kind == "gauge":
            return f"(sum({self.metric}{sel}) or vector(0))"
        if self.kind == "quantile":
            return promql.quantile(self.quantile, self.metric, (), window, **labels)
        return ErrorRate(self.metric, d.ERROR_TYPE, (), window, 0, tuple(labels.items())).ratio()


def _q(name, aliases, unit, about, instrument, kind, metric, window, **kw) -> Quantity:
    return Quantity(name, tuple(aliases), unit, about, instrument, kind, metric, window, **kw)


_TOKEN = d.TOKEN_TYPE
QUANTITIES: tuple[Quantity, ...] = (
    _q("cost", ["spend", "spending"], "usd", "US dollars spent (exact cost counter)",
       n.COST, "counter", d.COST, "1h"),
    _q("requests", ["calls", "llm calls", "llm requests"], "count", "LLM calls made",
       n.OPERATION_DURATION, "counter", d.REQUESTS, "15m"),
    _q("errors", ["failed requests", "llm errors"], "count", "LLM calls that failed",
       n.OPERATION_DURATION, "counter", d.REQUESTS, "15m", match=((d.ERROR_TYPE, "!"),)),
    _q("error rate", ["llm error rate", "failure rate"], "ratio", "share of LLM calls that failed",
       n.OPERATION_DURATION, "error_ratio", d.REQUESTS, "5m"),
    _q("tool error rate", ["tool failure rate"], "ratio", "share of tool calls that failed",
       n.TOOL_DURATION, "error_ratio", d.TOOL_CALLS, "10m"),
    *(_q(f"latency p{q}", [f"p{q} latency", f"p{q}"], "seconds", f"{q}th percentile of LLM call duration",
         n.OPERATION_DURATION, "quantile", d.LATENCY_BUCKET, "5m", quantile=q / 100)
      for q in (50, 95, 99)),
    _q("tokens", ["token usage"], "count", "tokens of every type", n.TOKENS, "counter", d.TOKENS, "1h"),
    _q("input tokens", [], "count", "input tokens (cache reads included)", n.TOKENS, "counter", d.TOKENS, "1h",
       match=((_TOKEN, "input"),)),
    _q("output tokens", [], "count", "output tokens (reasoning included)", n.TOKENS, "counter", d.TOKENS, "1h",
       match=((_TOKEN, "output"),)),
    _q("unpriced requests", ["unpriced calls"], "count", "calls to models without a price (cost unknown)",
       n.UNPRICED_REQUESTS, "counter", d.UNPRICED, "1h"),
    _q("tool calls", [], "count", "tool calls made", n.TOOL_DURATION, "counter", d.TOOL_CALLS, "15m"),
    _q("active sessions", ["sessions"], "count", "sessions open now", n.SESSION_ACTIVE, "gauge",
       n.SESSION_ACTIVE.prom, "5m"),
    _q("active agents", ["agents"], "count", "agents running now", n.AGENT_ACTIVE, "gauge",
       n.AGENT_ACTIVE.prom, "5m"),
)


def _words() -> list[tuple[str, Quantity]]:
    pairs = [(w, q) for q in QUANTITIES for w in (q.name, *q.aliases)]
    return sorted(pairs, key=lambda p: -len(p[0]))  # longest first: "tool error rate" before "error rate"


def match_prefix(text: str) -> tuple[Quantity, str] | None:
    """The quantity ``text`` starts with and the rest of the text, or None."""
    low = text.lower()
    for word, q in _words():
        if low.startswith(word) and (len(low) == len(word) or not low[len(word)].isalnum()):
            return q, text[len(word):]
    return None


def names() -> list[str]:
    return [q.name for q in QUANTITIES]

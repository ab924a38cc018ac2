"""Alert rules in words: ``"error rate > 5% over 10m"`` → a condition template → a rule.

Grammar (case-insensitive)::

    <quantity> (> | < | above | below | more than | less than) <number>[unit] [per|over|in <window>] [for <duration>]
    <quantity> rate of change (> | <) <percent>% [over <window>] [for <duration>]

``cost … per day|week|month`` is a calendar-period budget (CostExceeds); other windows
are rolling. Ratios take ``%``, latencies ``ms``/``s``, cost ``USD`` or ``$``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from vibes_observe.alerting import defaults as d
from vibes_observe.alerting.alertmanager import CHANNELS_LABEL
from vibes_observe.alerting import quantities as qs
from vibes_observe.alerting.conditions import CostExceeds, ErrorRate, MetricAbove, MetricBelow, RateOfChange
from vibes_observe.alerting.config import SEVERITIES
from vibes_observe.alerting.rules import Alert, Runbook, alert_rule, dump

RULE_ANNOTATION = "vibes_rule"     # the words, so `alerts test NAME` can rebuild the rule
SCOPE_ANNOTATION = "vibes_scope"   # the scope flags, JSON
FILE_PREFIX = "alert-"
GROUP_PREFIX = "vibes-user-"
RATE_OF_CHANGE_WINDOW = "5m"       # the rate whose change is compared

_OPS = {">": ">", "above": ">", "more than": ">", "exceeds": ">", "over": ">",
        "<": "<", "below": "<", "less than": "<", "under": "<"}
_NUMBER = r"(?P<dollar>\$)?\s*(?P<num>-?\d+(?:\.\d+)?)\s*(?P<unit>%|usd|dollars?|ms|s|sec|seconds?|m|min|minutes?|k)?"
_WINDOW_WORDS = {"minute": "1m", "hour": "1h", "day": "1d", "week": "1w", "month": "31d"}
_CALENDAR = {"day": "day", "week": "week", "month": "month", "1d": "day", "1w": "week"}
_DURATION = r"\d+(?:ms|s|m|h|d|w)"
CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_SCOPE_VALUE = re.compile(r'^[^"\\]+$')


class RuleError(ValueError):
    """The rule does not parse or names something unknown; the message says what and where."""


@dataclass(frozen=True)
class OneLineRule:
    text: str
    quantity: qs.Quantity
    op: str                  # > or <
    threshold: float         # base unit: USD, count, ratio 0..1, seconds, or percent change
    window: str
    for_: str
    change: bool = False     # rate of change
    period: str | None = None  # calendar period for cost budgets
    scope: dict[str, str] = field(default_factory=dict)

    @property
    def condition(self):
        q, scope = self.quantity, self.scope
        if self.change:
            return RateOfChange(q.value(RATE_OF_CHANGE_WINDOW, scope), self.window, self.threshold)
        if self.period:
            return CostExceeds(self.threshold, self.period, {qs.SCOPE_LABELS[k]: v for k, v in scope.items()})
        if q.kind == "error_ratio" and self.op == ">":
            return ErrorRate(q.metric, d.ERROR_TYPE, (), self.window, self.threshold,
                             tuple(q.labels(scope).items()))
        cls = MetricAbove if self.op == ">" else MetricBelow
        return cls(q.value(self.window, scope), self.threshold)

    @property
    def kind(self) -> str:
        return type(self.condition).__name__

    def expr(self) -> str:
        return self.condition.expr()

    def value_query(self) -> str:
        """PromQL of the value compared with the threshold."""
        c = self.condition
        if isinstance(c, RateOfChange):
            return c.change()
        if isinstance(c, CostExceeds):
            return f"({c.spent()} or vector(0))"
        if isinstance(c, ErrorRate):
            return c.ratio()
        return c.query

    def threshold_text(self) -> str:
        return _show(self.threshold, "percent" if self.change else self.quantity.unit)

    def value_text(self, value: float) -> str:
        return _show(value, "percent" if self.change else self.quantity.unit)

    def describe(self) -> str:
        """Static summary: what is watched, against what."""
        where = f" {'today' if self.period == 'day' else 'this ' + self.period} (UTC)" if self.period \
            else f" over {self.window}"
        what = f"{self.quantity.name.capitalize()}{' rate of change' if self.change else ''}"
        side = "above" if self.op == ">" else "below"
        scope = f" ({_scope_text(self.scope)})" if self.scope else ""
        return f"{what} is {side} {self.threshold_text()}{where}{scope}."


def _show(value: float, unit: str) -> str:
    if unit == "ratio":
        return f"{value * 100:g}%"
    if unit == "percent":
        return f"{value:+g}%"
    if unit == "usd":
        return f"{value:g} USD"
    if unit == "seconds":
        return f"{value * 1000:g}ms" if value < 1 else f"{value:g}s"
    return f"{value:g}"


def _scope_text(scope: dict[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(scope.items()))


def _number(m: re.Match, q: qs.Quantity, change: bool) -> float:
    value, unit = float(m["num"]), (m["unit"] or "").lower()
    if m["dollar"]:
        unit = "usd"
    if change or q.unit == "ratio":
        if unit != "%":
            raise RuleError(f"{m.group(0).strip()!r}: write {q.name} {'changes ' if change else ''}"
                            f"as a percentage, e.g. 5%")
        return value if change else value / 100
    if q.unit == "seconds":
        factor = {"": 1, "s": 1, "sec": 1, "second": 1, "seconds": 1, "ms": 0.001,
                  "m": 60, "min": 60, "minute": 60, "minutes": 60}.get(unit)
        if factor is None:
            raise RuleError(f"{m.group(0).strip()!r}: a latency takes ms or s, e.g. 8s")
        return value * factor
    if q.unit == "usd":
        if unit not in ("", "usd", "dollar", "dollars"):
            raise RuleError(f"{m.group(0).strip()!r}: cost is in USD, e.g. 50 USD or $50")
        return value
    if unit not in ("", "k"):
        raise RuleError(f"{m.group(0).strip()!r}: {q.name} is a plain count (no unit)")
    return value * (1000 if unit == "k" else 1)


def parse(text: str, scope: dict[str, str] | None = None) -> OneLineRule:
    """Parse a rule in words; raises RuleError naming the part that is wrong."""
    scope = {k: v for k, v in (scope or {}).items() if v}
    words = " ".join(text.split())
    found = qs.match_prefix(words)
    if not found:
        raise RuleError(f"{words!r}: starts with no known quantity (known: {', '.join(qs.names())})")
    q, rest = found
    rest = rest.strip()
    change = False
    if re.match(r"^rate of change\b", rest, re.I):
        change, rest = True, rest[len("rate of change"):].strip()
    ops = "|".join(re.escape(o) for o in sorted(_OPS, key=len, reverse=True))
    m = re.match(rf"^(?P<op>{ops})\s*{_NUMBER}(?=\s|$)", rest, re.I)
    if not m:
        raise RuleError(f"{words!r}: after {q.name!r} expected a comparison like '> 5%', '< 1' or 'above 8s', "
                        f"got {rest or 'nothing'!r}")
    op = _OPS[m["op"].lower()]
    try:
        threshold = _number(m, q, change)
    except RuleError as exc:
        raise RuleError(f"{words!r}: {exc}") from None
    if change and (threshold >= 0) != (op == ">"):
        raise RuleError(f"{m.group(0).strip()!r}: a rise is '> N%', a drop '< -N%'")
    rest = rest[m.end():].strip()
    window, period, for_ = q.default_window, None, "5m"
    wm = re.match(rf"^(per|over|in|a|every)\s+(?P<w>{_DURATION}|minute|hour|day|week|month)\b", rest, re.I)
    if wm:
        w = wm["w"].lower()
        rest = rest[wm.end():].strip()
        if q.name == "cost" and not change and w in _CALENDAR:
            period = _CALENDAR[w]
        window = _WINDOW_WORDS.get(w, w)
    fm = re.match(rf"^for\s+(?P<f>{_DURATION})$", rest, re.I)
    if fm:
        for_, rest = fm["f"].lower(), ""
    if rest:
        raise RuleError(f"{words!r}: did not understand {rest!r} (expected 'over <window>' then 'for <duration>')")
    if period:
        for_ = "0m" if not fm else for_
        if op != ">":
            raise RuleError(f"{words!r}: a per-{period} cost budget fires above an amount: use '>'")
    _check_scope(q, scope)
    return OneLineRule(words, q, op, threshold, window, for_, change, period, scope)


def _check_scope(q: qs.Quantity, scope: dict[str, str]) -> None:
    for key, value in scope.items():
        if key not in q.scopes:
            raise RuleError(f"--{key.replace('_', '-')}: {q.name} has no {key} label "
                            f"(it can be scoped by {', '.join('--' + s.replace('_', '-') for s in q.scopes)})")
        if not _SCOPE_VALUE.match(value):
            raise RuleError(f"--{key.replace('_', '-')} {value!r}: must not contain quotes or backslashes")


def default_name(rule: OneLineRule) -> str:
    """CamelCase alert name from the rule, e.g. ``ErrorRateAbove5PctGpt4o``."""
    parts = [rule.quantity.name, "rate of change" if rule.change else "",
             "above" if rule.op == ">" else "below",
             rule.threshold_text().replace("%", " pct").replace(".", "p").replace("+", ""),
             f"per {rule.period}" if rule.period else "", *rule.scope.values()]
    words = re.findall(r"[A-Za-z0-9]+", " ".join(parts))
    return "".join(w[:1].upper() + w[1:] for w in words)


def check_name(name: str) -> str:
    if not CAMEL.match(name):
        raise RuleError(f"--name {name!r}: an alert name is CamelCase letters and digits, e.g. TeamCostHigh")
    return name


_VALUE_FORMAT = {"usd": '{{ $value | printf "%.2f" }} USD', "ratio": "{{ $value | humanizePercentage }}",
                 "seconds": "{{ $value | humanizeDuration }}", "count": "{{ $value | humanize }}",
                 "percent": '{{ $value | printf "%+.0f" }}%'}

_RUNBOOK = Runbook(
    meaning="An alert added with `vibes observe alerts add`: its rule in words is the `vibes_rule` annotation.",
    impact="As the rule says: the quantity crossed the threshold its author chose.",
    diagnosis=("Evaluate it now: `vibes observe alerts test <name>`",
               "What the quantity is made of: `vibes observe metrics --window 1h`"),
    mitigation=("Act on the cause, or change the rule: `vibes observe alerts remove <name>` then add it again.",))


def to_alert(rule: OneLineRule, *, name: str, severity: str, channels: tuple[str, ...],
             description: str | None = None) -> Alert:
    if severity not in SEVERITIES:
        raise RuleError(f"--severity {severity!r}: one of {', '.join(SEVERITIES)}")
    value = _VALUE_FORMAT["percent" if rule.change else rule.quantity.unit]
    default = f"{rule.quantity.name.capitalize()}{' changed by' if rule.change else ' is'} {value}; " \
              f"rule: {rule.text}" + (f" ({_scope_text(rule.scope)})" if rule.scope else "") + "."
    labels = {CHANNELS_LABEL: ",".join(channels)} if channels else {}
    return Alert(name, "custom", severity, rule.expr(), rule.for_, rule.describe(), description or default,
                 _RUNBOOK, labels, None,
                 {RULE_ANNOTATION: rule.text, SCOPE_ANNOTATION: json.dumps(rule.scope, sort_keys=True)})


def rule_file(alert: Alert, runbook_base_url: str) -> tuple[str, str]:
    """(file name, Prometheus rule YAML) for one one-line alert."""
    rule = alert_rule(alert, runbook_base_url)
    doc = {"groups": [{"name": GROUP_PREFIX + alert.name, "rules": [rule]}]}
    header = "# Added by `vibes observe alerts add`; remove with `vibes observe alerts remove NAME`.\n"
    return f"{FILE_PREFIX}{alert.name}.yml", dump(doc, header)


def from_rule(rule: dict) -> OneLineRule | None:
    """Rebuild the one-line rule from a loaded rule's annotations (None: not a one-line rule)."""
    ann = rule.get("annotations", {})
    if RULE_ANNOTATION not in ann:
        return None
    return parse(ann[RULE_ANNOTATION], json.loads(ann.get(SCOPE_ANNOTATION) or "{}"))

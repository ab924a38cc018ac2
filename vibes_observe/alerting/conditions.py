"""Alert condition templates: each turns a few parameters into a PromQL condition.

A condition is true (the expression returns series) while the alert should be pending
or firing; ``for:`` lives on the alert, not here.
"""

from __future__ import annotations

from dataclasses import dataclass

from vibes_observe.queries import promql
from vibes_observe.queries.measures import period_cost


def _num(value: float) -> str:
    return repr(float(value)) if float(value) != int(value) else str(int(value))


@dataclass(frozen=True)
class MetricAbove:
    query: str
    threshold: float

    def expr(self) -> str:
        return f"{self.query} > {_num(self.threshold)}"


@dataclass(frozen=True)
class MetricBelow:
    query: str
    threshold: float

    def expr(self) -> str:
        return f"{self.query} < {_num(self.threshold)}"


@dataclass(frozen=True)
class RateOfChange:
    """``query`` changed by more than ``percent`` % compared with ``window`` ago.

    A positive ``percent`` catches rises, a negative one drops. Series that were 0 a
    window ago are left out (a change from nothing has no percentage).
    """

    query: str
    window: str
    percent: float
    step: str = "1m"

    def change(self) -> str:
        """Percent change of ``query`` against ``window`` ago."""
        before = f"last_over_time(({self.query})[{self.step}:{self.step}] offset {self.window})"
        return f"(({self.query}) - {before}) / ({before} != 0) * 100"

    def expr(self) -> str:
        op = ">" if self.percent >= 0 else "<"
        return f"{self.change()} {op} {_num(self.percent)}"


@dataclass(frozen=True)
class ErrorRate:
    """Share of failed operations above ``threshold`` (0..1) over ``window``."""

    metric: str  # a request-count counter (a histogram's _count)
    error_label: str
    keys: tuple[str, ...]
    window: str
    threshold: float
    scope: tuple[tuple[str, str], ...] = ()  # label matchers both sides share
    #: ``metric`` is a recorded per-second rate over ``window`` (summed further, not rate()d):
    #: the raw high-cardinality counter is then read once, by the rule that records the rate
    recorded: bool = False

    def _sum(self, **labels: str) -> str:
        if self.recorded:
            return f"sum {promql.by(self.keys)} ({self.metric}{promql.matchers(**labels)})"
        return promql.rate_sum(self.metric, self.keys, self.window, **labels)

    def ratio(self) -> str:
        scope = dict(self.scope)
        errors = self._sum(**scope, **{self.error_label: "!"})
        total = self._sum(**scope)
        if not self.keys:  # one series: no failures is a 0 ratio, not "no data"
            errors = f"{errors} or vector(0)"
        return f"({errors}) / ({total})"

    def expr(self) -> str:
        return f"{self.ratio()} > {_num(self.threshold)}"


@dataclass(frozen=True)
class CostExceeds:
    """Cost in the current calendar period (day/week/month, UTC) reached ``amount`` USD."""

    amount: float
    period: str
    scope: dict[str, str]

    def spent(self) -> str:
        return period_cost(self.period, (), promql.budget_scope(self.scope))

    def expr(self) -> str:
        return f"{self.spent()} >= {_num(self.amount)}"

"""Durations, parsed in one place: the stack config, the alerting config, rule windows and the CLI.

The syntax is Prometheus's (``90s``, ``15m``, ``1h30m``, ``7d``, ``1w``, ``1y``), which is also
what Prometheus and Alertmanager take on their command lines; Go programs (Jaeger, Loki,
VictoriaLogs) take no d/w/y, so ``go()`` writes the same length in hours or seconds.
Standard library only: the CLI imports this on its hot path.
"""
from __future__ import annotations

import re

UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_PART = r"(\d+)(ms|s|m|h|d|w|y)"
_WHOLE = re.compile(rf"^(?:{_PART})+$")
EXAMPLES = "30s, 15m, 1h30m, 7d"


class DurationError(ValueError):
    """``text`` is not a duration; the message quotes it and gives examples (the caller adds the key)."""


def seconds(text: object, *, allow_zero: bool = False) -> float:
    """Seconds in ``text``; DurationError when it is not a duration (or is zero, unless allowed)."""
    if not isinstance(text, str) or not _WHOLE.match(text):
        raise DurationError(f"{text!r} is not a duration like {EXAMPLES}")
    total = sum(int(num) * UNIT_SECONDS[unit] for num, unit in re.findall(_PART, text))
    if total <= 0 and not allow_zero:
        raise DurationError(f"{text!r} must be longer than zero")
    return total


def check(text: object, *, allow_zero: bool = False) -> str:
    """``text`` unchanged when it is a duration (for validators that keep the written form)."""
    seconds(text, allow_zero=allow_zero)
    return text  # type: ignore[return-value]  # seconds() proved it is a str


def go(text: str) -> str:
    """The same length for Go's time.ParseDuration, which has no d/w/y: whole hours, else seconds."""
    total = seconds(text)
    return f"{int(total // 3600)}h" if total % 3600 == 0 else f"{int(total)}s"

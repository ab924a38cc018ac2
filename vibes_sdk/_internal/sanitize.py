"""Values from the host, made safe to export: total functions that never raise.

Whatever a caller hands the SDK (an object whose ``__str__`` raises, a lone surrogate
from ``json.loads`` of model output, a 10**30 token count, a NaN, a 10**400 int), what
reaches a span, a log record or a metric is a value OTLP can encode. One bad value is
replaced here, at the boundary, so it can never fail the batch it would travel in.
"""

from __future__ import annotations

import math
import re
import traceback
from typing import Any

from vibes_sdk import names
from vibes_sdk._internal import guard

#: OTLP integers are signed 64-bit.
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: Largest token count accepted per value; larger ones are clamped to it (and counted).
MAX_TOKENS = names.MAX_TOKENS_PER_VALUE
#: Largest duration accepted, in seconds (a year); larger or non-finite ones are ignored.
MAX_SECONDS = 366 * 24 * 3600.0

_LEADING_CLASS = re.compile(r"^(\[[^\]]+\])[+{]")


def _python_pattern(pattern: str) -> str:
    """One collector (RE2) pattern for Python's backtracking engine.

    RE2 takes a leading "(?i)"; Python wants the flag scoped per alternative. RE2 is linear
    whatever the input; here a pattern opening with a repeated class (the email one) would
    retry from every position of a long run of letters (quadratic on a 1 MB log line), so
    it may only start where that class does not continue from the left.
    """
    flags = ""
    if pattern.startswith("(?i)"):
        flags, pattern = "i", pattern[4:]
    lead = _LEADING_CLASS.match(pattern)
    if lead:
        pattern = f"(?<!{lead.group(1)}){pattern}"
    return f"(?{flags}:{pattern})"


_SECRET = re.compile("|".join(_python_pattern(p) for p in names.REDACTION_PATTERNS))
REDACTED = "[redacted]"


def clean_str(s: str) -> str:
    """``s`` with lone surrogates replaced by U+FFFD (valid UTF-8 is returned unchanged)."""
    if s.isascii():
        return s
    try:
        s.encode("utf-8")
        return s
    except UnicodeEncodeError:
        # via UTF-16 so that a correctly paired surrogate becomes the character it encodes
        return s.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def describe(value: Any) -> str:
    """A str for any object: its ``str()``, or ``<TypeName>`` when that raises or lies."""
    try:
        s = value if type(value) is str else str(value)
        if type(s) is not str:  # a str subclass with tricks of its own
            s = str.__str__(s)
    except Exception:  # noqa: BLE001 - a hostile __str__, RecursionError from nesting, ...
        try:
            return f"<{type(value).__name__}>"
        except Exception:  # noqa: BLE001
            return "<object>"
    return clean_str(s)


def text(value: Any, limit: int) -> str | None:
    """A short id/name: None stays None, "" becomes None, anything else a clean str ≤ limit."""
    if value is None:
        return None
    s = describe(value)
    return s[:limit] if s else None


def attribute(value: Any, limit: int) -> Any:
    """An OTLP attribute value: str/bool/int/float (ranges checked), homogeneous lists, else text."""
    kind = type(value)
    if kind is str:
        return clean_str(value[:limit])
    if kind is bool:
        return value
    if kind is int:
        return value if INT64_MIN <= value <= INT64_MAX else describe(value)[:limit]
    if kind is float:
        return value
    if kind in (list, tuple):
        try:
            items = [attribute(v, limit) for v in value[:128]]
        except Exception:  # noqa: BLE001
            return describe(value)[:limit]
        if items and len({type(v) for v in items}) == 1 and type(items[0]) in (str, bool, int, float):
            return items
        return describe(value)[:limit]
    return describe(value)[:limit]


def attributes(pairs: Any, limit: int) -> dict[str, Any]:
    """A clean attribute dict from any mapping: bad keys are stringified, bad values described."""
    out: dict[str, Any] = {}
    try:
        items = list(pairs.items())
    except Exception:  # noqa: BLE001
        return out
    for key, value in items[:256]:
        k = key if type(key) is str and key.isascii() else describe(key)
        out[k[:256]] = attribute(value, limit)
    return out


def tokens(value: Any) -> int:
    """A token count: garbage, negatives and NaN become 0; huge values clamp to MAX_TOKENS."""
    if type(value) is int:
        if value <= 0:
            return 0
        return value if value <= MAX_TOKENS else _clamped()
    try:
        if isinstance(value, bool):
            return 0
        number = value if isinstance(value, (int, float)) else int(value)  # numeric strings, numpy ints
        if number != number or number <= 0:
            return 0
        if number > MAX_TOKENS:
            return _clamped()
        return int(number)
    except Exception:  # noqa: BLE001 - __int__ that raises, inf, 10**400 as text, ...
        return 0


def _clamped() -> int:
    guard.count_drop("metrics", "value_clamped")
    return MAX_TOKENS


def seconds(value: Any) -> float | None:
    """A duration in seconds, or None when it is not a finite number in [0, MAX_SECONDS]."""
    try:
        f = float(value)
    except Exception:  # noqa: BLE001 - OverflowError for 10**400, a raising __float__, ...
        return None
    if not math.isfinite(f) or f < 0 or f > MAX_SECONDS:
        return None
    return f


def redact(s: str) -> str:
    """Secret-looking substrings (API keys, bearer tokens, emails) replaced by ``[redacted]``."""
    return _SECRET.sub(REDACTED, s) if s else s


def redact_value(value: Any) -> Any:
    """A clean attribute value with secret-looking text masked (str, or a list of str)."""
    if type(value) is str:
        return redact(value) if len(value) >= 8 else value  # shorter than any secret pattern
    if type(value) is list and value and type(value[0]) is str:
        return [redact(v) for v in value]
    return value


def redact_attributes(attrs: dict[str, Any]) -> dict[str, Any]:
    """In place: every value passed through :func:`redact_value`."""
    for key, value in attrs.items():
        attrs[key] = redact_value(value)
    return attrs


def exception_attributes(etype: type, exc: BaseException | None, tb: Any, capture: bool,
                         limit: int) -> dict[str, Any]:
    """An exception as exported (span event or log record): the type and the stack frames
    always; the message, which can echo a prompt, only with content capture on."""
    name = describe(getattr(etype, "__qualname__", None) or "Exception")
    attrs: dict[str, Any] = {"exception.type": name}
    try:
        if capture:
            attrs["exception.message"] = redact(describe(exc))[:limit]
            trace = "".join(traceback.format_exception(etype, exc, tb))
        else:  # the frames, without the message line
            trace = "Traceback (most recent call last):\n" + "".join(traceback.format_tb(tb, limit=32)) + name
    except Exception:  # noqa: BLE001 - a hostile exception: its type still goes out
        trace = name
    attrs["exception.stacktrace"] = clean_str(trace)
    return attrs

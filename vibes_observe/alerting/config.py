"""The stack config's ``alerting:`` section, validated into an :class:`AlertingConfig`.

Every error names the offending key path (``alerting.budgets[1].period``) and value.
"""

from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass, field
from typing import Any

from vibes_observe.alerting import defaults
from vibes_observe.alerting.promql import duration_seconds

SEVERITIES = ("critical", "warning", "info")
CHANNEL_TYPES = ("console", "file", "webhook", "slack", "email")
_DURATION = re.compile(r"^(\d+(ms|s|m|h|d|w|y))+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_TOP_KEYS = {"runbook_base_url", "ledger_interval", "evaluation_interval", "thresholds",
             "budgets", "channels", "routing", "watchdog", "custom_alerts"}
CONDITION_KINDS = ("MetricAbove", "MetricBelow", "RateOfChange", "ErrorRate")
_CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")


class AlertingConfigError(ValueError):
    """Invalid ``alerting:`` section; the message starts with the offending key."""


@dataclass(frozen=True)
class Budget:
    name: str
    amount: float
    period: str  # day | week | month (calendar, UTC)
    model: str | None = None
    agent: str | None = None
    cost_center: str | None = None

    @property
    def scope(self) -> dict[str, str]:
        """Prometheus label -> value the budget is restricted to."""
        pairs = ((defaults.MODEL, self.model), (defaults.AGENT, self.agent),
                 (defaults.COST_CENTER, self.cost_center))
        return {k: v for k, v in pairs if v is not None}


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    severities: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)
    send_resolved: bool = True


@dataclass(frozen=True)
class CustomAlert:
    """A user alert built from a condition template (see conditions.py)."""

    name: str
    kind: str
    severity: str
    for_: str
    summary: str
    description: str
    params: dict[str, Any]
    runbook_url: str | None = None


@dataclass(frozen=True)
class AlertingConfig:
    runbook_base_url: str
    ledger_interval: str
    evaluation_interval: str | None
    thresholds: dict[str, dict[str, Any]]
    budgets: tuple[Budget, ...]
    channels: tuple[Channel, ...]
    routing: dict[str, Any]
    watchdog: dict[str, Any]
    custom_alerts: tuple[CustomAlert, ...] = ()


def _fail(key: str, message: str) -> AlertingConfigError:
    return AlertingConfigError(f"{key}: {message}")


def _duration(key: str, value: Any) -> str:
    if not isinstance(value, str) or not _DURATION.match(value):
        raise _fail(key, f"{value!r} is not a duration like 30s, 5m, 1h")
    return value


def _number(key: str, value: Any, *, minimum: float = 0.0, maximum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(key, f"{value!r} is not a number")
    if value < minimum or (maximum is not None and value > maximum):
        bound = f">= {minimum}" + (f" and <= {maximum}" if maximum is not None else "")
        raise _fail(key, f"{value!r} must be {bound}")
    return float(value)


def _one_of(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise _fail(key, f"{value!r} is not one of {', '.join(allowed)}")
    return value


def _mapping(key: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(key, f"expected a mapping, got {type(value).__name__} {value!r}")
    return value


def _unknown(key: str, given: dict[str, Any], allowed: set[str]) -> None:
    extra = sorted(set(given) - allowed)
    if extra:
        raise _fail(f"{key}.{extra[0]}", f"unknown key (allowed: {', '.join(sorted(allowed))})")


def _thresholds(section: Any) -> dict[str, dict[str, Any]]:
    merged = copy.deepcopy(defaults.THRESHOLDS)
    if section is None:
        return merged
    for name, overrides in _mapping("alerting.thresholds", section).items():
        key = f"alerting.thresholds.{name}"
        if name not in merged:
            raise _fail(key, f"unknown threshold (known: {', '.join(sorted(merged))})")
        _unknown(key, _mapping(key, overrides), set(merged[name]))
        for setting, value in overrides.items():
            skey = f"{key}.{setting}"
            default = merged[name][setting]
            if isinstance(default, str):
                merged[name][setting] = _duration(skey, value)
            elif setting == "quantile":
                merged[name][setting] = _number(skey, value, minimum=0.5, maximum=0.999)
            elif setting == "max_calls":
                from vibes_sdk.names import COUNT_BUCKETS
                if value not in COUNT_BUCKETS:
                    raise _fail(skey, f"{value!r} is not one of the histogram bucket bounds "
                                      f"{', '.join(map(str, COUNT_BUCKETS))}")
                merged[name][setting] = int(value)
            elif setting in ("warning", "critical", "fill_ratio"):
                merged[name][setting] = _number(skey, value, maximum=1.0)
            else:
                merged[name][setting] = _number(skey, value)
    return merged


def _budgets(section: Any) -> tuple[Budget, ...]:
    if section is None:
        section = defaults.BUDGETS
    if not isinstance(section, list):
        raise _fail("alerting.budgets", f"expected a list, got {type(section).__name__}")
    seen: set[str] = set()
    out = []
    allowed = {"name", "amount", "period", "model", "agent", "cost_center"}
    for i, raw in enumerate(section):
        key = f"alerting.budgets[{i}]"
        raw = _mapping(key, raw)
        _unknown(key, raw, allowed)
        for required in ("name", "amount", "period"):
            if required not in raw:
                raise _fail(f"{key}.{required}", "missing")
        name = raw["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise _fail(f"{key}.name", f"{name!r} must be letters, digits, '.', '_' or '-'")
        if name in seen:
            raise _fail(f"{key}.name", f"{name!r} is used by another budget")
        seen.add(name)
        amount = _number(f"{key}.amount", raw["amount"])
        if amount <= 0:
            raise _fail(f"{key}.amount", f"{raw['amount']!r} must be > 0")
        period = _one_of(f"{key}.period", raw["period"], defaults.PERIODS)
        scope = {}
        for s in ("model", "agent", "cost_center"):
            v = raw.get(s)
            if v is not None and (not isinstance(v, str) or not v or '"' in v or "\\" in v):
                raise _fail(f"{key}.{s}", f"{v!r} must be a non-empty string without quotes")
            scope[s] = v
        out.append(Budget(name, amount, period, **scope))
    return tuple(out)


_CHANNEL_KEYS = {
    "console": set(),
    "file": set(),
    "webhook": {"url", "url_file", "url_env"},
    "slack": {"api_url_file", "api_url_env", "channel", "username"},
    "email": {"to", "from", "smarthost", "auth_username", "auth_password_file",
              "auth_password_env", "require_tls", "hello"},
}
_REQUIRED = {"webhook": (("url", "url_file", "url_env"),), "slack": (("api_url_file", "api_url_env"),),
             "email": (("to",), ("from",), ("smarthost",))}


def _channels(section: Any) -> tuple[Channel, ...]:
    if section is None:
        section = [{"name": "local", "type": "file"}]
    if not isinstance(section, list):
        raise _fail("alerting.channels", f"expected a list, got {type(section).__name__}")
    out, seen = [], set()
    for i, raw in enumerate(section):
        key = f"alerting.channels[{i}]"
        raw = _mapping(key, raw)
        if "type" not in raw:
            raise _fail(f"{key}.type", f"missing (one of {', '.join(CHANNEL_TYPES)})")
        ctype = _one_of(f"{key}.type", raw["type"], CHANNEL_TYPES)
        if ctype == "slack" and "api_url" in raw:
            raise _fail(f"{key}.api_url", "secrets are never written in the config: "
                                          "use api_url_file or api_url_env")
        if ctype == "email" and "auth_password" in raw:
            raise _fail(f"{key}.auth_password", "secrets are never written in the config: "
                                                "use auth_password_file or auth_password_env")
        _unknown(key, raw, {"name", "type", "severities", "send_resolved"} | _CHANNEL_KEYS[ctype])
        name = raw.get("name", f"{ctype}-{i}")
        if not isinstance(name, str) or not _NAME.match(name) or name in seen:
            raise _fail(f"{key}.name", f"{name!r} must be unique letters, digits, '.', '_' or '-'")
        seen.add(name)
        sev = raw.get("severities", list(SEVERITIES))
        if not isinstance(sev, list) or not sev:
            raise _fail(f"{key}.severities", f"{sev!r} must be a non-empty list")
        for j, s in enumerate(sev):
            _one_of(f"{key}.severities[{j}]", s, SEVERITIES)
        for alternatives in _REQUIRED.get(ctype, ()):
            if not any(a in raw for a in alternatives):
                raise _fail(f"{key}.{alternatives[0]}", f"missing (a {ctype} channel needs "
                                                        f"one of {', '.join(alternatives)})")
        send_resolved = raw.get("send_resolved", True)
        if not isinstance(send_resolved, bool):
            raise _fail(f"{key}.send_resolved", f"{send_resolved!r} is not true/false")
        options = {k: v for k, v in raw.items()
                   if k not in {"name", "type", "severities", "send_resolved"}}
        for k, v in options.items():
            if k == "require_tls":
                if not isinstance(v, bool):
                    raise _fail(f"{key}.{k}", f"{v!r} is not true/false")
            elif not isinstance(v, str) or not v:
                raise _fail(f"{key}.{k}", f"{v!r} must be a non-empty string")
            elif k.endswith("_file"):  # Alertmanager does not expand ~
                options[k] = os.path.expanduser(v)
        out.append(Channel(name, ctype, tuple(sev), options, send_resolved))
    return tuple(out)


def _routing(section: Any) -> dict[str, Any]:
    merged = copy.deepcopy(defaults.ROUTING)
    if section is None:
        return merged
    section = _mapping("alerting.routing", section)
    _unknown("alerting.routing", section, set(merged))
    for k, v in section.items():
        key = f"alerting.routing.{k}"
        if k == "group_by":
            if not isinstance(v, list) or not all(isinstance(x, str) and x for x in v):
                raise _fail(key, f"{v!r} must be a list of label names")
            merged[k] = list(v)
        elif k == "repeat_interval":
            v = _mapping(key, v)
            _unknown(key, v, set(SEVERITIES))
            for s, d in v.items():
                merged[k][s] = _duration(f"{key}.{s}", d)
        else:
            merged[k] = _duration(key, v)
    return merged


def _watchdog(section: Any) -> dict[str, Any]:
    if section is None:
        return {}
    section = _mapping("alerting.watchdog", section)
    _unknown("alerting.watchdog", section, {"url", "url_file", "url_env"})
    for k, v in section.items():
        if not isinstance(v, str) or not v:
            raise _fail(f"alerting.watchdog.{k}", f"{v!r} must be a non-empty string")
    return dict(section)


_KIND_PARAMS = {
    "MetricAbove": {"query": str, "threshold": float},
    "MetricBelow": {"query": str, "threshold": float},
    "RateOfChange": {"query": str, "window": "duration", "percent": float},
    "ErrorRate": {"metric": str, "by": list, "window": "duration", "threshold": float},
}


def _custom_alerts(section: Any) -> tuple[CustomAlert, ...]:
    if section is None:
        return ()
    if not isinstance(section, list):
        raise _fail("alerting.custom_alerts", f"expected a list, got {type(section).__name__}")
    out, seen = [], set()
    common = {"name", "kind", "severity", "for", "summary", "description", "runbook_url"}
    for i, raw in enumerate(section):
        key = f"alerting.custom_alerts[{i}]"
        raw = _mapping(key, raw)
        for required in ("name", "kind", "summary", "description"):
            if required not in raw:
                raise _fail(f"{key}.{required}", "missing")
        kind = _one_of(f"{key}.kind", raw["kind"], CONDITION_KINDS)
        _unknown(key, raw, common | set(_KIND_PARAMS[kind]))
        name = raw["name"]
        if not isinstance(name, str) or not _CAMEL.match(name) or name in seen:
            raise _fail(f"{key}.name", f"{name!r} must be a unique CamelCase alert name")
        seen.add(name)
        severity = _one_of(f"{key}.severity", raw.get("severity", "warning"), SEVERITIES)
        for_ = _duration(f"{key}.for", raw.get("for", "5m"))
        for text_key in ("summary", "description"):
            if not isinstance(raw[text_key], str) or not raw[text_key].strip():
                raise _fail(f"{key}.{text_key}", f"{raw[text_key]!r} must be a non-empty string")
        if "{{" in raw["summary"]:
            raise _fail(f"{key}.summary", "must be a static sentence (template the description instead)")
        params: dict[str, Any] = {}
        for p, ptype in _KIND_PARAMS[kind].items():
            pkey = f"{key}.{p}"
            if p not in raw:
                raise _fail(pkey, f"missing (a {kind} alert needs {', '.join(_KIND_PARAMS[kind])})")
            v = raw[p]
            if ptype == "duration":
                params[p] = _duration(pkey, v)
            elif ptype is float:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise _fail(pkey, f"{v!r} is not a number")
                params[p] = float(v)
            elif ptype is list:
                if not isinstance(v, list) or not all(isinstance(x, str) and re.match(r"^[a-zA-Z_]\w*$", x) for x in v):
                    raise _fail(pkey, f"{v!r} must be a list of label names")
                params[p] = tuple(v)
            elif not isinstance(v, str) or not v.strip():
                raise _fail(pkey, f"{v!r} must be a non-empty string")
            else:
                params[p] = v.strip()
        runbook = raw.get("runbook_url")
        if runbook is not None and (not isinstance(runbook, str) or not re.match(r"^https?://", runbook)):
            raise _fail(f"{key}.runbook_url", f"{runbook!r} must be an http(s) URL")
        out.append(CustomAlert(name, kind, severity, for_, raw["summary"], raw["description"], params, runbook))
    return tuple(out)


def validate(section: dict[str, Any] | None) -> AlertingConfig:
    """Validate the stack config's ``alerting:`` section (``None`` = shipped defaults)."""
    section = {} if section is None else _mapping("alerting", section)
    _unknown("alerting", section, _TOP_KEYS)
    base = section.get("runbook_base_url", defaults.RUNBOOK_BASE_URL)
    if not isinstance(base, str) or not re.match(r"^(https?|file)://", base) or "#" in base:
        raise _fail("alerting.runbook_base_url", f"{base!r} must be an http(s) or file URL without '#'")
    ledger = _duration("alerting.ledger_interval", section.get("ledger_interval", defaults.LEDGER_INTERVAL))
    seconds = duration_seconds(ledger)
    if seconds < 1 or seconds != int(seconds) or (seconds <= 60 and 60 % seconds) or (seconds > 60 and seconds % 60) \
            or 3600 % seconds:
        raise _fail("alerting.ledger_interval", f"{ledger!r} must be whole seconds that divide a minute "
                                                "(1s..60s) or whole minutes that divide an hour")
    evaluation = section.get("evaluation_interval")
    if evaluation is not None:
        evaluation = _duration("alerting.evaluation_interval", evaluation)
    return AlertingConfig(
        runbook_base_url=base,
        ledger_interval=ledger,
        evaluation_interval=evaluation,
        thresholds=_thresholds(section.get("thresholds")),
        budgets=_budgets(section.get("budgets")),
        channels=_channels(section.get("channels")),
        routing=_routing(section.get("routing")),
        watchdog=_watchdog(section.get("watchdog")),
        custom_alerts=_custom_alerts(section.get("custom_alerts")),
    )

"""The stack config's ``alerting:`` section, validated into typed objects (pydantic v2).

Every error names the offending key path (``alerting.budgets[1].period``) and value:
pydantic's ``loc`` tuples become that path, and each check below words its own message.
Settings are also readable by key (``cfg.thresholds["llm_error_rate"]["warning"]``),
which is how the mixin defaults in ``defaults.py`` name them.
"""

from __future__ import annotations

import os
import re
from typing import Annotated, Any, Literal

from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo,
                      field_validator, model_validator)
from pydantic_core import PydanticCustomError

from vibes_observe import durations
from vibes_observe.alerting import defaults
from vibes_observe.clients.endpoints import default_url

SEVERITIES = ("critical", "warning", "info")
CHANNEL_TYPES = ("console", "file", "webhook", "slack", "email")
CONDITION_KINDS = ("MetricAbove", "MetricBelow", "RateOfChange", "ErrorRate")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_CAMEL = re.compile(r"^[A-Z][A-Za-z0-9]*$")
_LABEL = re.compile(r"^[a-zA-Z_]\w*$")


class AlertingConfigError(ValueError):
    """Invalid ``alerting:`` section; the message starts with the offending key."""


def _bad(reason: str, *at: str | int) -> PydanticCustomError:
    """An error worded ``reason``; ``at``: where below the value being validated it lies."""
    return PydanticCustomError("vibes", "{reason}", {"reason": reason, "at": at})


# ------------------------------------------------------------------ value types
def _duration(*, allow_zero: bool):
    def check(value: Any) -> str:
        try:
            return durations.check(value, allow_zero=allow_zero)
        except durations.DurationError as exc:
            raise _bad(str(exc)) from None
    return BeforeValidator(check)


def _number(minimum: float | None = 0.0, maximum: float | None = None, *, above: bool = False):
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(f"{value!r} is not a number")
        if minimum is None:
            return float(value)
        if above and value <= minimum:
            raise _bad(f"{value!r} must be > {minimum:g}")
        if value < minimum or (maximum is not None and value > maximum):
            raise _bad(f"{value!r} must be >= {minimum}" + (f" and <= {maximum}" if maximum is not None else ""))
        return float(value)
    return BeforeValidator(check)


def _one_of(allowed: tuple[str, ...]):
    def check(value: Any) -> str:
        if value not in allowed:
            raise _bad(f"{value!r} is not one of {', '.join(allowed)}")
        return value
    return BeforeValidator(check)


def _mapping(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(f"expected a mapping, got {type(value).__name__} {value!r}")
    return value


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _bad(f"{value!r} must be a non-empty string")
    return value


def _bucket_bound(value: Any) -> int:
    from vibes_sdk.names import COUNT_BUCKETS
    if value not in COUNT_BUCKETS:
        raise _bad(f"{value!r} is not one of the histogram bucket bounds {', '.join(map(str, COUNT_BUCKETS))}")
    return int(value)


def _label_list(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(x, str) and _LABEL.match(x) for x in value):
        raise _bad(f"{value!r} must be a list of label names")
    return list(value)


Window = Annotated[str, _duration(allow_zero=False)]
For = Annotated[str, _duration(allow_zero=True)]
Ratio = Annotated[float, _number(maximum=1.0)]
Seconds = Annotated[float, _number()]
Text = Annotated[str, BeforeValidator(_text)]
Severity = Annotated[str, _one_of(SEVERITIES)]
LabelNames = Annotated[list[str], BeforeValidator(_label_list)]


class _Section(BaseModel):
    """A mapping with known keys; its settings also read by key (``section["for"]``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @classmethod
    def keys_allowed(cls, raw: dict[str, Any]) -> set[str]:
        return {f.alias or name for name, f in cls.model_fields.items()}

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, raw: Any) -> Any:
        if isinstance(raw, cls):
            return raw
        allowed = cls.keys_allowed(_mapping(raw))
        extra = sorted(set(raw) - allowed, key=str)
        if extra:
            raise _bad(f"unknown key (allowed: {', '.join(sorted(allowed))})", extra[0])
        return raw

    def __getitem__(self, key: str) -> Any:
        for name, f in type(self).model_fields.items():
            if key in (name, f.alias):
                return getattr(self, name)
        raise KeyError(key)


# ------------------------------------------------------------------ thresholds
class Pending(_Section):
    for_: For = Field(alias="for")


class Windowed(Pending):
    window: Window


class LlmErrorRate(Windowed):
    warning: Ratio
    critical: Ratio


class LlmLatency(Windowed):
    quantile: Annotated[float, _number(0.5, 0.999)]
    warning_seconds: Seconds


class ToolErrorRate(Windowed):
    warning: Ratio


class AgentIterations(Windowed):
    max_calls: Annotated[int, BeforeValidator(_bucket_bound)]


class QueueFill(Pending):
    fill_ratio: Ratio


class BudgetForecast(Pending):
    long_window: Window
    short_window: Window


class Thresholds(_Section):
    """Every threshold, the user's overrides merged over ``defaults.THRESHOLDS``."""

    llm_error_rate: LlmErrorRate
    llm_latency: LlmLatency
    tool_error_rate: ToolErrorRate
    agent_iterations: AgentIterations
    unpriced_model: Windowed
    collector_refused: Windowed
    collector_send_failed: Windowed
    collector_queue: QueueFill
    target_down: Pending
    rule_failures: Windowed
    ledger_missed: Windowed
    budget_exceeded: Pending
    budget_forecast: BudgetForecast

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, raw: Any) -> Any:
        raw = _mapping({} if raw is None else raw)
        for name, overrides in raw.items():
            if name not in defaults.THRESHOLDS:
                raise _bad(f"unknown threshold (known: {', '.join(sorted(defaults.THRESHOLDS))})", name)
            if not isinstance(overrides, dict):
                raise _bad(f"expected a mapping, got {type(overrides).__name__} {overrides!r}", name)
            extra = sorted(set(overrides) - set(defaults.THRESHOLDS[name]))
            if extra:  # checked against the defaults: the model alone would accept a key it defaults
                raise _bad(f"unknown key (allowed: {', '.join(sorted(defaults.THRESHOLDS[name]))})", name, extra[0])
        return {name: {**settings, **raw.get(name, {})} for name, settings in defaults.THRESHOLDS.items()}


# ------------------------------------------------------------------ budgets
def _budget_name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise _bad(f"{value!r} must be letters, digits, '.', '_' or '-'")
    return value


def _scope_value(value: Any) -> str:
    if not isinstance(value, str) or not value or '"' in value or "\\" in value:
        raise _bad(f"{value!r} must be a non-empty string without quotes")
    return value


ScopeValue = Annotated[str | None, BeforeValidator(lambda v: v if v is None else _scope_value(v))]


class Budget(_Section):
    name: Annotated[str, BeforeValidator(_budget_name)]
    amount: Annotated[float, _number(above=True)]
    period: Annotated[str, _one_of(defaults.PERIODS)]  # day | week | month (calendar, UTC)
    model: ScopeValue = None
    agent: ScopeValue = None
    cost_center: ScopeValue = None

    @property
    def scope(self) -> dict[str, str]:
        """Prometheus label -> value the budget is restricted to."""
        pairs = ((defaults.MODEL, self.model), (defaults.AGENT, self.agent),
                 (defaults.COST_CENTER, self.cost_center))
        return {k: v for k, v in pairs if v is not None}


# ------------------------------------------------------------------ channels
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
_INLINE_SECRETS = {"slack": ("api_url", "api_url_file or api_url_env"),
                   "email": ("auth_password", "auth_password_file or auth_password_env")}
_CHANNEL_COMMON = ("name", "type", "severities", "send_resolved")


def _option(key: str, value: Any) -> Any:
    if key == "require_tls":
        try:
            return _true_or_false(value)
        except PydanticCustomError as exc:
            raise _bad(exc.context["reason"], key) from None
    if not isinstance(value, str) or not value:
        raise _bad(f"{value!r} must be a non-empty string", key)
    return os.path.expanduser(value) if key.endswith("_file") else value  # Alertmanager does not expand ~


def _true_or_false(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad(f"{value!r} is not true/false")
    return value


def _channel_name(value: Any) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise _bad(f"{value!r} must be unique letters, digits, '.', '_' or '-'")
    return value


def _severity_list(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise _bad(f"{value!r} must be a non-empty list")
    for j, s in enumerate(value):
        if s not in SEVERITIES:
            raise _bad(f"{s!r} is not one of {', '.join(SEVERITIES)}", j)
    return tuple(value)


class Channel(_Section):
    name: Annotated[str, BeforeValidator(_channel_name)]
    type: Literal["console", "file", "webhook", "slack", "email"]
    severities: Annotated[tuple[str, ...], BeforeValidator(_severity_list)] = SEVERITIES
    options: dict[str, Any] = Field(default_factory=dict)  # the type's own keys (secret sources, addresses)
    send_resolved: Annotated[bool, BeforeValidator(_true_or_false)] = True

    @model_validator(mode="before")
    @classmethod
    def _by_type(cls, raw: Any) -> Any:
        if "type" not in _mapping(raw):
            raise _bad(f"missing (one of {', '.join(CHANNEL_TYPES)})", "type")
        ctype = raw["type"]
        if ctype not in CHANNEL_TYPES:
            raise _bad(f"{ctype!r} is not one of {', '.join(CHANNEL_TYPES)}", "type")
        if ctype in _INLINE_SECRETS and _INLINE_SECRETS[ctype][0] in raw:
            key, instead = _INLINE_SECRETS[ctype]
            raise _bad(f"secrets are never written in the config: use {instead}", key)
        allowed = set(_CHANNEL_COMMON) | _CHANNEL_KEYS[ctype]
        extra = sorted(set(raw) - allowed)
        if extra:
            raise _bad(f"unknown key (allowed: {', '.join(sorted(allowed))})", extra[0])
        for alternatives in _REQUIRED.get(ctype, ()):
            if not any(a in raw for a in alternatives):
                raise _bad(f"missing (a {ctype} channel needs one of {', '.join(alternatives)})", alternatives[0])
        options = {k: _option(k, v) for k, v in raw.items() if k not in _CHANNEL_COMMON}
        return {**{k: v for k, v in raw.items() if k in _CHANNEL_COMMON}, "options": options}


# ------------------------------------------------------------------ routing, watchdog
class RepeatIntervals(_Section):
    critical: Window
    warning: Window
    info: Window


class Routing(_Section):
    group_by: LabelNames
    group_wait: For
    group_interval: Window
    repeat_interval: RepeatIntervals
    watchdog_repeat_interval: Window

    @model_validator(mode="before")
    @classmethod
    def _over_defaults(cls, raw: Any) -> Any:
        raw = _mapping({} if raw is None else raw)
        repeat = raw.get("repeat_interval", {})
        if isinstance(repeat, dict):
            repeat = {**defaults.ROUTING["repeat_interval"], **repeat}
        return {**defaults.ROUTING, **raw, "repeat_interval": repeat}


class Watchdog(_Section):
    """Where the always-firing Watchdog alert goes: a URL, or a file or variable holding it."""

    url: Text | None = None
    url_file: Text | None = None
    url_env: Text | None = None

    def sources(self) -> dict[str, str]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


# ------------------------------------------------------------------ custom alerts
_KIND_PARAMS = {
    "MetricAbove": ("query", "threshold"),
    "MetricBelow": ("query", "threshold"),
    "RateOfChange": ("query", "window", "percent"),
    "ErrorRate": ("metric", "by", "window", "threshold"),
}


def _alert_name(value: Any) -> str:
    if not isinstance(value, str) or not _CAMEL.match(value):
        raise _bad(f"{value!r} must be a unique CamelCase alert name")
    return value


def _summary(value: Any) -> str:
    value = _text(value)
    if "{{" in value:
        raise _bad("must be a static sentence (template the description instead)")
    return value


def _runbook_url(value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not re.match(r"^https?://", value)):
        raise _bad(f"{value!r} must be an http(s) URL")
    return value


Stripped = Annotated[str, BeforeValidator(lambda v: _text(v).strip())]


class CustomAlert(_Section):
    """A user alert built from a condition template (see conditions.py)."""

    name: Annotated[str, BeforeValidator(_alert_name)]
    kind: Annotated[str, _one_of(CONDITION_KINDS)]
    summary: Annotated[str, BeforeValidator(_summary)]
    description: Text
    severity: Severity = "warning"
    for_: For = Field("5m", alias="for")
    runbook_url: Annotated[str | None, BeforeValidator(_runbook_url)] = None
    query: Stripped | None = None
    metric: Stripped | None = None
    threshold: Annotated[float, _number(None)] | None = None
    percent: Annotated[float, _number(None)] | None = None
    window: Window | None = None
    by: Annotated[tuple[str, ...], BeforeValidator(lambda v: tuple(_label_list(v)))] | None = None

    @classmethod
    def keys_allowed(cls, raw: dict[str, Any]) -> set[str]:
        common = {"name", "kind", "severity", "for", "summary", "description", "runbook_url"}
        return common | set(_KIND_PARAMS.get(raw.get("kind"), ()))

    @model_validator(mode="before")
    @classmethod
    def _kind_params(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("kind") in _KIND_PARAMS:
            needed = _KIND_PARAMS[raw["kind"]]
            for p in needed:
                if p not in raw:
                    raise _bad(f"missing (a {raw['kind']} alert needs {', '.join(needed)})", p)
        return raw

    @property
    def params(self) -> dict[str, Any]:
        """The condition template's parameters (the kind's own keys)."""
        return {p: getattr(self, p) for p in _KIND_PARAMS[self.kind]}


# ------------------------------------------------------------------ the section
def _unique(items: tuple, attribute: str, reason: str) -> None:
    seen: set[str] = set()
    for i, item in enumerate(items):
        value = getattr(item, attribute)
        if value in seen:
            raise _bad(reason.format(value=value), i, attribute)
        seen.add(value)


def _list_of(value: Any) -> Any:
    if not isinstance(value, list):
        raise _bad(f"expected a list, got {type(value).__name__}")
    return value


def _runbook_base(value: Any) -> str:
    if not isinstance(value, str) or not re.match(r"^(https?|file)://", value) or "#" in value:
        raise _bad(f"{value!r} must be an http(s) or file URL without '#'")
    return value


def _ledger_interval(value: Any) -> str:
    seconds = durations.seconds(durations.check(value))
    if seconds < 1 or seconds != int(seconds) or (seconds <= 60 and 60 % seconds) or (seconds > 60 and seconds % 60) \
            or 3600 % seconds:
        raise _bad(f"{value!r} must be whole seconds that divide a minute (1s..60s) or whole minutes that divide an hour")
    return value


def _checked_ledger_interval(value: Any) -> str:
    try:
        return _ledger_interval(value)
    except durations.DurationError as exc:
        raise _bad(str(exc)) from None


#: Keys of AlertingConfig the caller supplies (where the stack's backends answer), not the user.
_ENDPOINT_KEYS = ("prometheus_url", "alertmanager_url")


class AlertingConfig(_Section):
    runbook_base_url: Annotated[str, BeforeValidator(_runbook_base)] = defaults.RUNBOOK_BASE_URL
    ledger_interval: Annotated[str, BeforeValidator(_checked_ledger_interval)] = defaults.LEDGER_INTERVAL
    evaluation_interval: Window | None = None
    thresholds: Thresholds = Field(default_factory=lambda: Thresholds.model_validate({}))
    budgets: Annotated[tuple[Budget, ...], BeforeValidator(_list_of)] = Field(
        default_factory=lambda: tuple(Budget.model_validate(b) for b in defaults.BUDGETS))
    channels: Annotated[tuple[Channel, ...], BeforeValidator(_list_of)] = Field(
        default_factory=lambda: (Channel.model_validate({"name": "local", "type": "file"}),))
    routing: Routing = Field(default_factory=lambda: Routing.model_validate({}))
    watchdog: Watchdog = Field(default_factory=Watchdog)
    custom_alerts: Annotated[tuple[CustomAlert, ...], BeforeValidator(_list_of)] = ()
    #: where the rules' runbooks point their queries (the stack's own Prometheus and Alertmanager)
    prometheus_url: str = default_url("prometheus")
    alertmanager_url: str = default_url("alertmanager")

    @model_validator(mode="before")
    @classmethod
    def _nulls_are_defaults(cls, raw: Any, info: ValidationInfo) -> Any:
        """``budgets:`` left empty in YAML (None) means the default, as an absent key does;
        the endpoints come from the caller (validation context), never from the user."""
        if not isinstance(raw, dict):
            return raw
        allowed = cls.keys_allowed(raw) - set(_ENDPOINT_KEYS)
        extra = sorted(set(raw) - allowed, key=str)
        if extra:
            raise _bad(f"unknown key (allowed: {', '.join(sorted(allowed))})", extra[0])
        raw = {k: v for k, v in raw.items() if v is not None or k in ("thresholds", "routing")}
        return {**raw, **{k: v for k, v in (info.context or {}).items() if k in _ENDPOINT_KEYS}}

    @field_validator("channels", mode="before")
    @classmethod
    def _default_names(cls, raw: Any) -> Any:
        """A channel without a name is called ``<type>-<index>``."""
        if not isinstance(raw, list):
            return raw
        return [{"name": f"{c.get('type')}-{i}", **c} if isinstance(c, dict) and "name" not in c else c
                for i, c in enumerate(raw)]

    @field_validator("budgets")
    @classmethod
    def _unique_budgets(cls, budgets: tuple[Budget, ...]) -> tuple[Budget, ...]:
        _unique(budgets, "name", "{value!r} is used by another budget")
        return budgets

    @field_validator("channels")
    @classmethod
    def _unique_channels(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        _unique(channels, "name", "{value!r} must be unique letters, digits, '.', '_' or '-'")
        return channels

    @field_validator("custom_alerts")
    @classmethod
    def _unique_alerts(cls, alerts: tuple[CustomAlert, ...]) -> tuple[CustomAlert, ...]:
        _unique(alerts, "name", "{value!r} must be a unique CamelCase alert name")
        return alerts


# ------------------------------------------------------------------ errors
def _key_path(loc: tuple[Any, ...]) -> str:
    path = "alerting"
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _where_and_why(err: dict[str, Any]) -> tuple[str, str]:
    """The key path and message of one pydantic error (its own wording for built-in checks)."""
    loc = tuple(p for p in err["loc"] if not isinstance(p, str) or not p.startswith("function-"))
    ctx = err.get("ctx") or {}
    if err["type"] == "vibes":
        return _key_path(loc + tuple(ctx.get("at", ()))), ctx["reason"]
    if err["type"] == "missing":
        return _key_path(loc), "missing"
    if err["type"] == "extra_forbidden":
        return _key_path(loc), "unknown key"
    return _key_path(loc), f"{err['input']!r}: {err['msg']}"


def validate(section: dict[str, Any] | None, *, prometheus_url: str | None = None,
             alertmanager_url: str | None = None) -> AlertingConfig:
    """Validate the stack config's ``alerting:`` section (``None`` = shipped defaults).

    ``prometheus_url``/``alertmanager_url``: where this stack's backends answer (the
    runbooks' queries use them); the local defaults when not given.
    """
    endpoints = {k: v for k, v in (("prometheus_url", prometheus_url), ("alertmanager_url", alertmanager_url))
                 if v}
    try:
        return AlertingConfig.model_validate({} if section is None else section, context=endpoints)
    except ValidationError as exc:
        lines = [": ".join(_where_and_why(e)) for e in exc.errors(include_url=False)]
        raise AlertingConfigError("\n".join(dict.fromkeys(lines))) from None

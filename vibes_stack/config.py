"""The stack config: defaults (stack/group_data/all.py) + the user's YAML, validated into a typed
``StackConfig`` (pydantic v2).

Every error names the offending key path (``exports.traces[1].endpoint``) and value and is raised
BEFORE anything on disk or any process is touched. Durations are parsed once, here (``Duration``
keeps the text as written and carries its seconds).
"""
from __future__ import annotations

import copy
import ipaddress
import re
import runpy
from pathlib import Path
from typing import Annotated, Any, ClassVar

import yaml
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, ValidationInfo,
                      field_validator, model_validator)
from pydantic_core import core_schema

from vibes_observe import durations

from . import components, paths
from .errors import StackConfigError

SIGNALS = ("traces", "metrics", "logs")

#: export target kinds each signal accepts.
TARGETS_BY_SIGNAL = {
    "traces": {"console", "file", "otlp", "jaeger", "zipkin", "datadog", "newrelic"},
    "metrics": {"console", "file", "otlp", "prometheus", "datadog", "newrelic"},
    "logs": {"console", "file", "otlp", "loki", "datadog", "newrelic"},
}

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

#: group data that is not a user setting (``versions`` mirrors stack/versions.yaml).
READ_ONLY_HOST_DATA = {"versions"}


class FieldError(ValueError):
    """Raised inside a validator to name a key below the one being validated (``key`` is relative:
    ``prometheus``, ``[1].endpoint``)."""

    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key


# --- value types -----------------------------------------------------------------------------------

class Duration(str):
    """A duration as written (``15d``; templates and Prometheus flags use the text), parsed once."""

    allow_zero: ClassVar[bool] = False
    seconds: float

    def __new__(cls, text: object) -> Duration:
        parsed = durations.seconds(text, allow_zero=cls.allow_zero)  # DurationError names the value
        obj = super().__new__(cls, text)  # type: ignore[arg-type]  # seconds() proved it is a str
        obj.seconds = parsed
        return obj

    @property
    def go(self) -> str:
        """The same length for Go programs (no d/w/y)."""
        return durations.go(self)

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            lambda value: value if isinstance(value, cls) else cls(value),
            serialization=core_schema.plain_serializer_function_ser_schema(str))


class DurationOrZero(Duration):
    """A duration where 0 means "never give up" (the collector's retry_max_elapsed)."""

    allow_zero = True


def _checked(test, message: str):
    """A before-validator: ``value`` unchanged when ``test(value)``, else ``<value!r> <message>``."""
    def check(value: Any) -> Any:
        if not test(value):
            raise ValueError(f"{value!r} {message}")
        return value
    return BeforeValidator(check)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(str(value))
    except ValueError:
        return False
    return True


Port = Annotated[int, _checked(lambda v: _is_int(v) and 1 <= v <= 65535, "is not a valid port")]
PositiveInt = Annotated[int, _checked(lambda v: _is_int(v) and v > 0, "must be a positive integer")]
Flag = Annotated[bool, _checked(lambda v: isinstance(v, bool), "must be true or false")]
Percent = Annotated[int | float, _checked(lambda v: (_is_int(v) or isinstance(v, float)) and 0 <= v <= 100,
                                    "must be a number from 0 to 100")]
NonNegative = Annotated[int | float, _checked(lambda v: (_is_int(v) or isinstance(v, float)) and v >= 0,
                                        "must be a number >= 0")]
Text = Annotated[str, _checked(lambda v: isinstance(v, str), "must be a string")]
EnvName = Annotated[str, _checked(lambda v: isinstance(v, str) and bool(_ENV_NAME.match(v)),
                                  "must be an environment variable name")]
IpAddress = Annotated[str, _checked(_is_ip, "is not an IP address")]
ShortName = Annotated[str, _checked(lambda v: isinstance(v, str) and bool(re.match(r"^[A-Za-z0-9._-]{1,64}$", v)),
                                    "must be a short name (letters, digits, . _ -)")]
MemorySize = Annotated[str, _checked(lambda v: isinstance(v, str) and bool(re.match(r"^\d+[kmg]$", v)),
                                     "must be a memory size like 768m or 2g")]
LokiMode = Annotated[str, _checked(lambda v: v in ("single", "simple-scalable"),
                                   "must be single or simple-scalable")]
FilePath = Annotated[str, _checked(lambda v: isinstance(v, str) and bool(v), "must be a path")]


# --- sections ----------------------------------------------------------------------------------------

class Section(BaseModel):
    """A mapping with known keys; an unknown key is named with the keys it could have been."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    mapping_of: ClassVar[str] = ""   # "component to path": named when the value is not a mapping

    @classmethod
    def known(cls) -> list[str]:
        return list(cls.model_fields)

    @classmethod
    def unknown_key(cls, key: str) -> str:
        return f"unknown key (known here: {', '.join(sorted(cls.known()))})"

    @classmethod
    def check_value(cls, key: str, value: Any) -> None:
        """Per-key checks before the fields' own (sections with free keys)."""

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError(f"must be a mapping{' of ' + cls.mapping_of if cls.mapping_of else ''}, got {data!r}")
        for key, value in data.items():
            if key not in cls.known():
                raise FieldError(str(key), cls.unknown_key(str(key)))
            cls.check_value(str(key), value)
        return data


class Ports(Section):
    collector_otlp_grpc: Port
    collector_otlp_http: Port
    collector_health: Port
    collector_metrics: Port
    collector_prometheus: Port
    gateway_watch: Port
    jaeger_otlp_grpc: Port
    jaeger_otlp_http: Port
    jaeger_query: Port
    jaeger_query_grpc: Port
    jaeger_health: Port
    jaeger_metrics: Port
    prometheus: Port
    alertmanager: Port
    alert_receiver: Port
    victorialogs: Port
    loki: Port
    loki_grpc: Port
    loki_write: Port
    loki_backend: Port
    loki_memberlist: Port
    seaweedfs_s3: Port
    seaweedfs_master: Port
    seaweedfs_volume: Port
    seaweedfs_filer: Port
    grafana: Port
    thanos_router_remote_write: Port
    thanos_router_grpc: Port
    thanos_router_http: Port
    thanos_router_capnproto: Port
    thanos_ingestor_grpc: Port
    thanos_ingestor_http: Port
    thanos_ingestor_remote_write: Port
    thanos_ingestor_capnproto: Port
    thanos_query_grpc: Port
    thanos_query_http: Port
    thanos_rule_grpc: Port
    thanos_rule_http: Port
    alertmanager_cluster: Port
    cassandra_storage: Port
    cassandra_native: Port

    @model_validator(mode="after")
    def _distinct(self) -> Ports:
        seen: dict[int, str] = {}
        for key, value in self:
            if value in seen:
                raise FieldError(key, f"{value} is already used by ports.{seen[value]}")
            seen[value] = key
        return self


class Retention(Section):
    traces: Duration   # Jaeger badger TTL
    logs: Duration     # Loki / VictoriaLogs retention; file-export rotation age
    metrics: Duration  # Prometheus --storage.tsdb.retention.time


class Intervals(Section):
    scrape: Duration
    evaluation: Duration


class Sampling(Section):
    traces_percent: Percent
    # the gateways' tail sampling (multi-host tier): keep each trace with an error, slower or
    # costlier than these, and traces_percent of the rest
    keep_slower_than: Duration
    keep_costlier_than_usd: NonNegative
    decision_wait: Duration        # how long a gateway holds a trace's spans before deciding


class CollectorSettings(Section):
    memory_limit_mib: PositiveInt
    memory_spike_limit_mib: PositiveInt
    bearer_token_auth: Flag
    queue_size: PositiveInt
    retry_max_elapsed: DurationOrZero


class VictoriaLogsSettings(Section):
    memory_limit_mib: PositiveInt


class LokiReplicas(Section):
    write: PositiveInt
    read: PositiveInt
    backend: PositiveInt


class LokiSettings(Section):
    mode: LokiMode           # compose: one process, or write/read/backend targets on an object store
    replicas: LokiReplicas   # simple-scalable only: containers per target


class JaegerSettings(Section):
    memory_limit_mib: PositiveInt


class TraceStorage(Section):
    keyspace: ShortName
    replication_factor: PositiveInt
    seeds: PositiveInt
    heap: MemorySize
    quick_start: Flag


class FileRotation(Section):
    max_megabytes: PositiveInt
    max_backups: PositiveInt


class _PerComponent(Section):
    """Keys are component names (the registry's, read at validation: a component registered later counts)."""

    model_config = ConfigDict(extra="allow", frozen=True)
    applies_to: ClassVar[staticmethod]                        # (Component) -> bool
    valid: ClassVar[staticmethod]                             # (value) -> bool
    invalid: ClassVar[str]                                    # message after the value's repr

    @classmethod
    def known(cls) -> list[str]:
        return [c.name for c in components.ALL if cls.applies_to(c)]

    @classmethod
    def unknown_key(cls, key: str) -> str:
        return f"unknown component (known: {', '.join(cls.known())})"

    @classmethod
    def check_value(cls, key: str, value: Any) -> None:
        if not cls.valid(value):
            raise FieldError(key, f"{value!r} {cls.invalid}")

    def get(self, name: str, default: str | None = None) -> str | None:
        return (self.model_extra or {}).get(name, default)

    def explicit(self) -> dict[str, str]:
        return dict(self.model_extra or {})


class Binaries(_PerComponent):
    mapping_of, invalid = "component to path", "must be a path"
    applies_to = staticmethod(lambda c: bool(c.executables))
    valid = staticmethod(lambda v: isinstance(v, str) and bool(v))


class MemLimits(_PerComponent):
    mapping_of, invalid = "component to memory limit", "must be a memory size like 512m or 1g"
    applies_to = staticmethod(lambda c: bool(c.memory_limit))
    valid = staticmethod(lambda v: isinstance(v, str) and bool(re.match(r"^\d+[kmg]?$", v)))


class Containers(Section):
    mem_limits: MemLimits   # overrides of each component's own default (compose mode)
    log_max_size: Text
    log_max_file: PositiveInt


# --- export targets ------------------------------------------------------------------------------------

class Target(Section):
    kind: ClassVar[str]
    type: str

    @classmethod
    def unknown_key(cls, key: str) -> str:
        return f"unknown key for a {cls.kind} target (known: {', '.join(sorted(cls.model_fields))})"


class ConsoleTarget(Target):
    kind = "console"
    verbosity: Annotated[str, _checked(lambda v: v in ("basic", "normal", "detailed"),
                                       "must be basic, normal or detailed")] = "basic"


class FileTarget(Target):
    kind = "file"
    path: FilePath | None = None


class OtlpTarget(Target):
    kind = "otlp"
    endpoint: str = Field(default="", validate_default=True)
    protocol: Annotated[str, _checked(lambda v: v in ("grpc", "http"), "must be grpc or http")] = "grpc"
    headers: dict[str, Text] = {}
    headers_env: dict[str, EnvName] = {}
    insecure: Flag = False

    @field_validator("endpoint", mode="before")
    @classmethod
    def _endpoint(cls, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            raise ValueError("an otlp target needs an endpoint")
        return value


class JaegerTarget(Target):
    kind = "jaeger"


class PrometheusTarget(Target):
    kind = "prometheus"


class LokiTarget(Target):
    kind = "loki"


class DatadogTarget(Target):
    kind = "datadog"
    site: Text = "datadoghq.com"
    endpoint: Text | None = None   # default: the site's OTLP intake
    api_key_env: EnvName = "DD_API_KEY"


class NewRelicTarget(Target):
    kind = "newrelic"
    endpoint: Text = "https://otlp.nr-data.net"
    api_key_env: EnvName = "NEW_RELIC_LICENSE_KEY"


TARGET_MODELS: dict[str, type[Target]] = {m.kind: m for m in (
    ConsoleTarget, FileTarget, OtlpTarget, JaegerTarget, PrometheusTarget, LokiTarget, DatadogTarget,
    NewRelicTarget)}

ZIPKIN_UNAVAILABLE = (
    "export target 'zipkin' is not available: the zipkin exporter is not served by the Go module proxy at "
    "our collector version, so our collector build cannot include it; send traces to Jaeger (which also reads "
    "Zipkin) or to any OTLP endpoint instead")


def _target(value: Any, signal: str, index: int) -> Target:
    at = f"[{index}]"
    if isinstance(value, str):
        kind, fields = value, {"type": value}
    elif isinstance(value, dict):
        kind, fields = value.get("type"), value
        if not isinstance(kind, str):
            raise FieldError(f"{at}.type", "missing; every mapping target needs a type")
    else:
        raise FieldError(at, f"{value!r} must be a target name or a mapping with a type")
    allowed = TARGETS_BY_SIGNAL[signal]
    if kind not in allowed:
        raise FieldError(at, f"unknown export target {kind!r} for {signal} (known: {', '.join(sorted(allowed))})")
    if kind not in TARGET_MODELS:
        raise FieldError(at, ZIPKIN_UNAVAILABLE)
    try:
        return TARGET_MODELS[kind].model_validate(fields)
    except ValidationError as exc:
        key, message = _describe(exc.errors()[0])
        raise FieldError(f"{at}.{key}" if key else at, message) from None


class Exports(Section):
    traces: list[Target]
    metrics: list[Target]
    logs: list[Target]

    @classmethod
    def unknown_key(cls, key: str) -> str:
        return f"unknown signal (known: {', '.join(SIGNALS)})"

    @field_validator("traces", "metrics", "logs", mode="plain")
    @classmethod
    def _targets(cls, value: Any, info: ValidationInfo) -> list[Target]:
        signal = info.field_name
        if not isinstance(value, list) or not value:
            raise ValueError(f"{value!r} must be a non-empty list of targets")
        targets = [_target(t, signal, i) for i, t in enumerate(value)]
        kinds = [t.kind for t in targets]
        dup = sorted({k for k in kinds if kinds.count(k) > 1 and k not in ("otlp", "file")})
        if dup:
            raise ValueError(f"target {dup[0]!r} listed twice")
        return targets

    def by_signal(self) -> dict[str, list[Target]]:
        return {signal: getattr(self, signal) for signal in SIGNALS}


class StackConfig(Section):
    ports: Ports
    bind_address: IpAddress
    environment: ShortName   # deployment.environment.name the collector stamps on every signal
    retention: Retention
    intervals: Intervals
    sampling: Sampling
    collector: CollectorSettings
    victorialogs: VictoriaLogsSettings
    loki: LokiSettings
    jaeger: JaegerSettings
    native_log_store: FileRotation
    trace_storage: TraceStorage
    exports: Exports
    binaries: Binaries
    containers: Containers
    alerting: dict[str, Any] | None = None  # validated by vibes_observe.alerting when rendering

    @field_validator("alerting", mode="plain")
    @classmethod
    def _alerting_as_given(cls, value: Any) -> Any:
        return value  # handed to vibes_observe.alerting.validate as written: it names its own keys

    @model_validator(mode="after")
    def _loki_replica_ports_free(self) -> StackConfig:
        # simple-scalable: replica i of a Loki target publishes its target's port + i
        if self.loki.mode != "simple-scalable":
            return self
        taken = {value: f"ports.{key}" for key, value in self.ports}
        for target, key in components.loki.TARGET_PORT_KEYS.items():
            first = getattr(self.ports, key)
            for port in range(first + 1, first + getattr(self.loki.replicas, target)):
                if port in taken or port > 65535:
                    raise FieldError(f"loki.replicas.{target}", f"replica {port - first + 1} would publish port "
                                     f"{port} (ports.{key} + {port - first}), "
                                     + (f"already {taken[port]}" if port in taken else "not a valid port"))
                taken[port] = f"loki.replicas.{target}"
        return self

    @property
    def loopback(self) -> str:
        """Where this host's clients reach a port bound to ``bind_address``."""
        return "127.0.0.1" if self.bind_address in ("0.0.0.0", "::") else self.bind_address


# --- building --------------------------------------------------------------------------------------

def load_defaults() -> dict[str, Any]:
    """The pyinfra group data file, read as plain data."""
    ns = runpy.run_path(str(paths.GROUP_DATA_FILE))
    return {k: copy.deepcopy(v) for k, v in ns.items()
            if not k.startswith("_") and k not in READ_ONLY_HOST_DATA
            and not callable(v) and not hasattr(v, "__file__")}


def deep_merge(base: dict, override: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def read_user_config(path: Path | str | None) -> dict[str, Any]:
    """The user's YAML (``None`` → stack/stack.yaml when present, else nothing)."""
    if path is None:
        path = paths.USER_CONFIG if paths.USER_CONFIG.exists() else None
        if path is None:
            return {}
    path = Path(path)
    if not path.exists():
        raise StackConfigError(f"{path}: stack config file not found")
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise StackConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise StackConfigError(f"{path}: the top level must be a mapping, got {type(data).__name__}")
    return data


def build(user: dict[str, Any] | None = None, *, overrides: dict[str, Any] | None = None) -> StackConfig:
    """Defaults ← user config ← overrides, validated into a StackConfig."""
    merged = deep_merge(load_defaults(), user or {})
    if overrides:
        merged = deep_merge(merged, overrides)
    try:
        return StackConfig.model_validate(merged)
    except ValidationError as exc:
        raise StackConfigError("\n".join(": ".join(_describe(e)) for e in exc.errors())) from None


def _describe(error: Any) -> tuple[str, str]:
    """(key path, message) of one pydantic error: ``loc`` written ``a.b[2].c``, our message kept."""
    path = ""
    for part in error["loc"]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, FieldError):
        path += cause.key if cause.key.startswith("[") or not path else f".{cause.key}"
        return path, str(cause)
    if isinstance(cause, ValueError):  # our validators' (and DurationError's) own sentences
        return path, str(cause)
    if error["type"] == "missing":
        return path, "missing"
    return path, f"{error['input']!r}: {error['msg']}"

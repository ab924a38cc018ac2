"""ObserveConfig: one frozen object built from kwargs > environment > YAML file > defaults.

Every key can come from four places; the first that sets it wins. A bad value fails
here, at init, with a message naming the key, the value and where it came from.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import urllib.parse
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from vibes_sdk._internal import autoinstrument

EXPORTER_CHOICES = ("otlp", "console", "zipkin", "none")
TRACES_ONLY_EXPORTERS = ("zipkin",)
DEFAULT_ZIPKIN_ENDPOINT = "http://127.0.0.1:9411/api/v2/spans"
SAMPLER_CHOICES = (
    "always_on", "always_off", "traceidratio",
    "parentbased_always_on", "parentbased_always_off", "parentbased_traceidratio",
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LOG_FORMATS = ("pretty", "json")
DEFAULT_ENDPOINT = "http://127.0.0.1:4318"


class ConfigError(ValueError):
    """A configuration value is invalid; the message names the key, value and source."""


_SECRET_FIELDS = ("headers", "traces_headers", "metrics_headers", "logs_headers")


def _masked(headers: Any) -> Any:
    """Header names only: values (tokens, API keys) never reach a repr, log or error."""
    if not isinstance(headers, Mapping):
        return headers if headers is None else "<invalid>"
    return {k: "***" for k in headers}


@dataclass(frozen=True)
class ObserveConfig:
    service_name: str = "vibes-agent"
    service_version: str | None = None
    environment: str | None = None
    endpoint: str = DEFAULT_ENDPOINT
    headers: Mapping[str, str] = field(default_factory=dict)
    # Per-signal overrides (OTEL_EXPORTER_OTLP_{TRACES,METRICS,LOGS}_{ENDPOINT,HEADERS}):
    # an endpoint here is the full URL, used as-is; headers here replace `headers`.
    traces_endpoint: str | None = None
    metrics_endpoint: str | None = None
    logs_endpoint: str | None = None
    traces_headers: Mapping[str, str] | None = None
    metrics_headers: Mapping[str, str] | None = None
    logs_headers: Mapping[str, str] | None = None
    resource_attributes: Mapping[str, str] = field(default_factory=dict)
    disabled: bool = False
    traces_exporter: tuple[str, ...] = ("otlp",)
    metrics_exporter: tuple[str, ...] = ("otlp",)
    logs_exporter: tuple[str, ...] = ("otlp",)
    sampler: str = "parentbased_always_on"
    sampler_arg: float = 1.0
    log_level: str = "INFO"
    log_format: str = "pretty"
    metric_export_interval: float = 10.0
    export_timeout: float = 10.0
    max_queue_size: int = 2048
    max_queue_bytes: int = 64 * 1024 * 1024  # per signal: spans / log records waiting for export
    max_log_body_length: int = 32 * 1024
    flush_interval: float = 2.0
    shutdown_timeout: float = 5.0
    system_metrics: bool = True
    capture_content: bool = False
    content_max_length: int = 2048
    max_attribute_length: int = 4096
    price_file: str | None = None
    redact: Callable[[str], str] | None = None  # kwargs only: a function cannot come from env/YAML
    # upstream GenAI instrumentations to enable: ("auto",) = every installed one, () = none
    instrument: tuple[str, ...] = ()
    zipkin_endpoint: str = DEFAULT_ZIPKIN_ENDPOINT  # traces_exporter "zipkin": Zipkin's JSON v2 API

    def __repr__(self) -> str:
        shown = ", ".join(f"{f.name}={_masked(getattr(self, f.name)) if f.name in _SECRET_FIELDS else getattr(self, f.name)!r}"
                          for f in dataclasses.fields(self))
        return f"ObserveConfig({shown})"


# ------------------------------------------------------------------ coercion
def _bool(key: str, v: Any) -> bool:
    if isinstance(v, bool):
        return v
    if isinstance(v, str) and v.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(v, str) and v.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected a boolean (true/false)")


def _str(key: str, v: Any) -> str:
    if not isinstance(v, str) or not v.strip():
        raise ValueError("expected a non-empty string")
    return v.strip()


def _opt_str(key: str, v: Any) -> str | None:
    return None if v is None or v == "" else _str(key, v)


def _positive(kind: type) -> Callable[[str, Any], Any]:
    def coerce(key: str, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError(f"expected a positive {kind.__name__}")
        try:
            n = kind(v)
        except (TypeError, ValueError):
            raise ValueError(f"expected a positive {kind.__name__}") from None
        if not n > 0:
            raise ValueError(f"expected a positive {kind.__name__}")
        return n
    return coerce


def _exporters(key: str, v: Any) -> tuple[str, ...]:
    items = v.split(",") if isinstance(v, str) else v
    if not isinstance(items, (list, tuple)):
        raise ValueError("expected a list of exporters")
    out = tuple(str(i).strip().lower() for i in items if str(i).strip())
    bad = [i for i in out if i not in EXPORTER_CHOICES]
    if bad or not out:
        raise ValueError(f"each exporter must be one of {', '.join(EXPORTER_CHOICES)}")
    if "none" in out and len(out) > 1:
        raise ValueError("'none' cannot be combined with other exporters")
    wrong = [i for i in out if i in TRACES_ONLY_EXPORTERS and key != "traces_exporter"]
    if wrong:
        raise ValueError(f"{wrong[0]!r} exports traces only (use it in traces_exporter)")
    if "zipkin" in out and importlib.util.find_spec("opentelemetry.exporter.zipkin.json") is None:
        raise ValueError("'zipkin' needs opentelemetry-exporter-zipkin-json: pip install 'vibes-observe[zipkin]'")
    return out


def _choice(choices: tuple[str, ...], upper: bool = False) -> Callable[[str, Any], str]:
    def coerce(key: str, v: Any) -> str:
        s = str(v).strip()
        s = s.upper() if upper else s.lower()
        if s == "WARN":
            s = "WARNING"
        if s not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return s
    return coerce


def _ratio(key: str, v: Any) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise ValueError("expected a number between 0 and 1") from None
    if not 0.0 <= f <= 1.0:
        raise ValueError("expected a number between 0 and 1")
    return f


def _mapping(key: str, v: Any) -> dict[str, str]:
    """A dict, or the OTel `k=v,k2=v2` (URL-encoded) string form."""
    if isinstance(v, Mapping):
        return {str(k): str(val) for k, val in v.items()}
    if not isinstance(v, str):
        raise ValueError("expected a mapping or 'key=value,key2=value2'")
    out: dict[str, str] = {}
    for part in v.split(","):
        if not part.strip():
            continue
        k, sep, val = part.partition("=")
        if not sep or not k.strip():
            raise ValueError(f"entry {part!r} is not key=value")
        out[urllib.parse.unquote(k.strip())] = urllib.parse.unquote(val.strip())
    return out


def _endpoint(key: str, v: Any) -> str:
    s = _str(key, v)
    parsed = urllib.parse.urlparse(s)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("expected an http(s) URL like http://127.0.0.1:4318")
    return s.rstrip("/")


def _signal_endpoint(key: str, v: Any) -> str | None:
    """A per-signal endpoint is the exporter URL as given (spec: no /v1/{signal} appended)."""
    if v is None or v == "":
        return None
    s = _str(key, v)
    parsed = urllib.parse.urlparse(s)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError("expected a full http(s) URL like http://127.0.0.1:4318/v1/traces")
    return s


def _opt_mapping(key: str, v: Any) -> dict[str, str] | None:
    return None if v is None else _mapping(key, v)


def _callable(key: str, v: Any) -> Callable[[str], str] | None:
    if v is None or callable(v):
        return v
    raise ValueError("expected a callable (str) -> str")


_COERCE: dict[str, Callable[[str, Any], Any]] = {
    "service_name": _str, "service_version": _opt_str, "environment": _opt_str,
    "endpoint": _endpoint, "headers": _mapping, "resource_attributes": _mapping,
    "traces_endpoint": _signal_endpoint, "metrics_endpoint": _signal_endpoint,
    "logs_endpoint": _signal_endpoint, "traces_headers": _opt_mapping,
    "metrics_headers": _opt_mapping, "logs_headers": _opt_mapping,
    "disabled": _bool, "traces_exporter": _exporters, "metrics_exporter": _exporters,
    "logs_exporter": _exporters, "sampler": _choice(SAMPLER_CHOICES), "sampler_arg": _ratio,
    "log_level": _choice(LOG_LEVELS, upper=True), "log_format": _choice(LOG_FORMATS),
    "metric_export_interval": _positive(float), "export_timeout": _positive(float),
    "max_queue_size": _positive(int), "max_queue_bytes": _positive(int),
    "max_log_body_length": _positive(int), "flush_interval": _positive(float),
    "shutdown_timeout": _positive(float), "system_metrics": _bool,
    "capture_content": _bool, "content_max_length": _positive(int),
    "max_attribute_length": _positive(int), "price_file": _opt_str, "redact": _callable,
    "instrument": lambda key, v: autoinstrument.parse(v), "zipkin_endpoint": _signal_endpoint,
}
FIELDS = tuple(f.name for f in dataclasses.fields(ObserveConfig))
assert set(FIELDS) == set(_COERCE), "every ObserveConfig field needs a coercer"

# Standard OpenTelemetry variables (VIBES_* of the same key wins over these).
_OTEL_ENV = {
    "OTEL_EXPORTER_OTLP_ENDPOINT": "endpoint",
    "OTEL_EXPORTER_OTLP_HEADERS": "headers",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "traces_endpoint",
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "metrics_endpoint",
    "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "logs_endpoint",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "traces_headers",
    "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "metrics_headers",
    "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "logs_headers",
    "OTEL_SERVICE_NAME": "service_name",
    "OTEL_RESOURCE_ATTRIBUTES": "resource_attributes",
    "OTEL_SDK_DISABLED": "disabled",
    "OTEL_TRACES_SAMPLER": "sampler",
    "OTEL_TRACES_SAMPLER_ARG": "sampler_arg",
    "OTEL_TRACES_EXPORTER": "traces_exporter",
    "OTEL_METRICS_EXPORTER": "metrics_exporter",
    "OTEL_LOGS_EXPORTER": "logs_exporter",
    "OTEL_EXPORTER_ZIPKIN_ENDPOINT": "zipkin_endpoint",
}
_ENV_ONLY_FROM_KWARGS = {"redact"}


def _env_layer(env: Mapping[str, str]) -> dict[str, tuple[Any, str]]:
    layer: dict[str, tuple[Any, str]] = {}
    for var, key in _OTEL_ENV.items():
        if var in env:
            layer[key] = (env[var], f"env {var}")
    for key in FIELDS:
        var = "VIBES_" + key.upper()
        if key not in _ENV_ONLY_FROM_KWARGS and var in env:
            layer[key] = (env[var], f"env {var}")
    return layer


def _file_layer(path: str) -> dict[str, tuple[Any, str]]:
    import yaml  # only needed when a file is used

    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
    except OSError as exc:
        raise ConfigError(f"config_file={path!r}: cannot read it ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"config_file={path!r}: not valid YAML ({exc})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"config_file={path!r}: top level must be a mapping, got {type(data).__name__}")
    # Accept the file either flat or under an `sdk:` / `vibes_sdk:` section.
    for section in ("vibes_sdk", "sdk"):
        if isinstance(data.get(section), dict):
            data = data[section]
            break
    layer: dict[str, tuple[Any, str]] = {}
    exporters = data.pop("exporters", None)
    if exporters is not None:
        if not isinstance(exporters, dict):
            raise ConfigError(f"exporters={exporters!r} (from {path}): expected a mapping of signal -> list")
        for signal, value in exporters.items():
            if signal not in ("traces", "metrics", "logs"):
                raise ConfigError(f"exporters.{signal}={value!r} (from {path}): unknown signal; use traces, metrics or logs")
            layer[f"{signal}_exporter"] = (value, f"file {path}")
    for key, value in data.items():
        if key not in FIELDS or key in _ENV_ONLY_FROM_KWARGS:
            raise ConfigError(f"{key}={value!r} (from {path}): unknown config key; known keys: {', '.join(FIELDS)}")
        layer[key] = (value, f"file {path}")
    return layer


def load_config(config_file: str | None = None, env: Mapping[str, str] | None = None,
                **kwargs: Any) -> ObserveConfig:
    """Merge the layers (kwargs > env > file > defaults) and validate every value."""
    env = os.environ if env is None else env
    for key in kwargs:
        if key not in FIELDS:
            raise ConfigError(f"{key}={kwargs[key]!r} (from keyword argument): unknown config key; known keys: {', '.join(FIELDS)}")
    config_file = config_file or env.get("VIBES_CONFIG_FILE") or None
    merged: dict[str, tuple[Any, str]] = {}
    if config_file:
        merged.update(_file_layer(config_file))
    merged.update(_env_layer(env))
    merged.update({k: (v, "keyword argument") for k, v in kwargs.items() if v is not None})
    values: dict[str, Any] = {}
    for key, (raw, source) in merged.items():
        try:
            values[key] = _COERCE[key](key, raw)
        except Exception as exc:  # noqa: BLE001 - whatever a hostile value raises, init names it
            shown = "<value not shown: it may hold credentials>" if key in _SECRET_FIELDS else _shown(raw)
            reason = "invalid header entry (expected key=value,key2=value2)" if key in _SECRET_FIELDS else exc
            raise ConfigError(f"{key}={shown} (from {source}): {reason}") from None
    return ObserveConfig(**values)


def _shown(raw: Any) -> str:
    try:
        return repr(raw)[:200]
    except Exception:  # noqa: BLE001
        return f"<{type(raw).__name__}>"


def signal_endpoint(cfg: ObserveConfig, signal: str) -> str:
    """The OTLP/HTTP URL of one signal: its own endpoint as-is, else `endpoint` + /v1/{signal}."""
    return getattr(cfg, f"{signal}_endpoint") or f"{cfg.endpoint}/v1/{signal}"


def signal_headers(cfg: ObserveConfig, signal: str) -> dict[str, str]:
    """The signal's own headers when set (they replace the generic ones, as in the OTel SDK)."""
    own = getattr(cfg, f"{signal}_headers")
    return dict(cfg.headers if own is None else own)

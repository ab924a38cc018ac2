"""The stack config model: defaults (stack/group_data/all.py) + the user's YAML, validated.

Every error names the offending key and value and is raised BEFORE anything on disk
or any process is touched.
"""
from __future__ import annotations

import copy
import ipaddress
import re
import runpy
from pathlib import Path
from typing import Any

import yaml

from . import paths

COMPONENTS = ("collector", "jaeger", "prometheus", "alertmanager", "alert-receiver", "loki", "grafana")
SIGNALS = ("traces", "metrics", "logs")

#: export target kinds each signal accepts.
TARGETS_BY_SIGNAL = {
    "traces": {"console", "file", "otlp", "jaeger", "zipkin", "datadog", "newrelic"},
    "metrics": {"console", "file", "otlp", "prometheus", "datadog", "newrelic"},
    "logs": {"console", "file", "otlp", "loki", "datadog", "newrelic"},
}
#: keys each kind of target accepts in its mapping form.
_TARGET_KEYS = {
    "console": {"type", "verbosity"},
    "file": {"type", "path"},
    "otlp": {"type", "endpoint", "protocol", "headers", "headers_env", "insecure"},
    "jaeger": {"type"},
    "zipkin": {"type", "endpoint"},
    "prometheus": {"type"},
    "loki": {"type"},
    "datadog": {"type", "site", "endpoint", "api_key_env"},
    "newrelic": {"type", "endpoint", "api_key_env"},
}

_DURATION = re.compile(r"^(\d+)(ms|s|m|h|d|w|y)$")
_DURATION_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


#: group data that is not a user setting (``versions`` mirrors stack/versions.yaml).
READ_ONLY_HOST_DATA = {"versions"}


class StackConfigError(ValueError):
    """A bad stack config; the message names the key (``ports.prometheus: 70000 is not a valid port``)."""


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


def build(user: dict[str, Any] | None = None, *, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults ← user config ← overrides, validated. Returns the effective config dict."""
    defaults = load_defaults()
    user = user or {}
    _check_keys(user, defaults, "")
    cfg = deep_merge(defaults, user)
    if overrides:
        _check_keys(overrides, defaults, "")
        cfg = deep_merge(cfg, overrides)
    validate(cfg)
    return cfg


def _check_keys(user: dict, defaults: dict, prefix: str) -> None:
    free_form = {"binaries", "alerting", "exports"}  # validated by their own rules
    for key, value in user.items():
        dotted = f"{prefix}{key}"
        if key not in defaults:
            known = ", ".join(sorted(defaults))
            raise StackConfigError(f"{dotted}: unknown key (known here: {known})")
        if dotted in free_form or not isinstance(defaults[key], dict):
            continue
        if not isinstance(value, dict):
            raise StackConfigError(f"{dotted}: must be a mapping, got {value!r}")
        _check_keys(value, defaults[key], dotted + ".")


def validate(cfg: dict[str, Any]) -> None:
    _validate_ports(cfg["ports"])
    try:
        ipaddress.ip_address(str(cfg["bind_address"]))
    except ValueError:
        raise StackConfigError(f"bind_address: {cfg['bind_address']!r} is not an IP address") from None
    env = cfg.get("environment")
    if not isinstance(env, str) or not re.match(r"^[A-Za-z0-9._-]{1,64}$", env):
        raise StackConfigError(f"environment: {env!r} must be a short name (letters, digits, . _ -)")
    for section in ("retention", "intervals"):
        for key, value in cfg[section].items():
            duration_seconds(value, f"{section}.{key}")
    pct = cfg["sampling"]["traces_percent"]
    if isinstance(pct, bool) or not isinstance(pct, (int, float)) or not 0 <= pct <= 100:
        raise StackConfigError(f"sampling.traces_percent: {pct!r} must be a number from 0 to 100")
    for key in ("memory_limit_mib", "memory_spike_limit_mib", "queue_size"):
        _positive_int(cfg["collector"][key], f"collector.{key}")
    if not isinstance(cfg["collector"]["bearer_token_auth"], bool):
        raise StackConfigError(f"collector.bearer_token_auth: {cfg['collector']['bearer_token_auth']!r} must be true or false")
    duration_seconds(cfg["collector"]["retry_max_elapsed"], "collector.retry_max_elapsed", allow_zero=True)
    _positive_int(cfg["victorialogs"]["memory_limit_mib"], "victorialogs.memory_limit_mib")
    for key in ("max_megabytes", "max_backups"):
        _positive_int(cfg["native_log_store"][key], f"native_log_store.{key}")
    _validate_binaries(cfg.get("binaries") or {})
    _validate_exports(cfg["exports"])


def _positive_int(value: Any, key: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StackConfigError(f"{key}: {value!r} must be a positive integer")


def _validate_ports(ports: dict[str, Any]) -> None:
    seen: dict[int, str] = {}
    for key, value in ports.items():
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
            raise StackConfigError(f"ports.{key}: {value!r} is not a valid port")
        if value in seen:
            raise StackConfigError(f"ports.{key}: {value} is already used by ports.{seen[value]}")
        seen[value] = key


def _validate_binaries(binaries: dict[str, Any]) -> None:
    if not isinstance(binaries, dict):
        raise StackConfigError(f"binaries: must be a mapping of component to path, got {binaries!r}")
    for key, value in binaries.items():
        if key not in COMPONENTS:
            raise StackConfigError(f"binaries.{key}: unknown component (known: {', '.join(COMPONENTS)})")
        if not isinstance(value, str) or not value:
            raise StackConfigError(f"binaries.{key}: {value!r} must be a path")


def _validate_exports(exports: Any) -> None:
    if not isinstance(exports, dict):
        raise StackConfigError(f"exports: must be a mapping of signal to target list, got {exports!r}")
    for signal, targets in exports.items():
        if signal not in SIGNALS:
            raise StackConfigError(f"exports.{signal}: unknown signal (known: {', '.join(SIGNALS)})")
        if not isinstance(targets, list) or not targets:
            raise StackConfigError(f"exports.{signal}: {targets!r} must be a non-empty list of targets")
        kinds = []
        for i, target in enumerate(targets):
            kinds.append(target_kind(target, f"exports.{signal}[{i}]", signal))
        dup = {k for k in kinds if kinds.count(k) > 1 and k not in ("otlp", "file")}
        if dup:
            raise StackConfigError(f"exports.{signal}: target {sorted(dup)[0]!r} listed twice")


def target_kind(target: Any, key: str, signal: str) -> str:
    """Validate one export target and return its kind."""
    if isinstance(target, str):
        kind, fields = target, {}
    elif isinstance(target, dict):
        kind, fields = target.get("type"), target
        if not isinstance(kind, str):
            raise StackConfigError(f"{key}.type: missing; every mapping target needs a type")
    else:
        raise StackConfigError(f"{key}: {target!r} must be a target name or a mapping with a type")
    allowed = TARGETS_BY_SIGNAL[signal]
    if kind not in allowed:
        raise StackConfigError(f"{key}: unknown export target {kind!r} for {signal} (known: {', '.join(sorted(allowed))})")
    if kind == "zipkin":
        raise StackConfigError(
            f"{key}: export target 'zipkin' is not available: the zipkin exporter is not served by the "
            "Go module proxy at our collector version, so our collector build cannot include it; "
            "send traces to Jaeger (which also reads Zipkin) or to any OTLP endpoint instead")
    for field in fields:
        if field not in _TARGET_KEYS[kind]:
            raise StackConfigError(f"{key}.{field}: unknown key for a {kind} target (known: {', '.join(sorted(_TARGET_KEYS[kind]))})")
    if kind == "otlp":
        endpoint = fields.get("endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            raise StackConfigError(f"{key}.endpoint: an otlp target needs an endpoint")
        if fields.get("protocol", "grpc") not in ("grpc", "http"):
            raise StackConfigError(f"{key}.protocol: {fields['protocol']!r} must be grpc or http")
        for h, v in (fields.get("headers") or {}).items():
            if not isinstance(v, str):
                raise StackConfigError(f"{key}.headers.{h}: {v!r} must be a string")
        for h, v in (fields.get("headers_env") or {}).items():
            if not isinstance(v, str) or not _ENV_NAME.match(v):
                raise StackConfigError(f"{key}.headers_env.{h}: {v!r} must be an environment variable name")
    if kind in ("datadog", "newrelic") and "api_key_env" in fields:
        if not _ENV_NAME.match(str(fields["api_key_env"])):
            raise StackConfigError(f"{key}.api_key_env: {fields['api_key_env']!r} must be an environment variable name")
    if kind == "console" and fields.get("verbosity", "basic") not in ("basic", "normal", "detailed"):
        raise StackConfigError(f"{key}.verbosity: {fields['verbosity']!r} must be basic, normal or detailed")
    return kind


def duration_seconds(value: Any, key: str, *, allow_zero: bool = False) -> float:
    match = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not match:
        raise StackConfigError(f"{key}: {value!r} is not a duration like 30s, 15m, 168h or 15d")
    seconds = int(match.group(1)) * _DURATION_SECONDS[match.group(2)]
    if seconds <= 0 and not allow_zero:
        raise StackConfigError(f"{key}: {value!r} must be longer than zero")
    return seconds

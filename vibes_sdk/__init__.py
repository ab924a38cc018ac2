"""vibes_sdk — a thin OpenTelemetry SDK for LLM-agent systems.

    import vibes_sdk as vibes
    vibes.init(service_name="my-agent")
    with vibes.session(user_id="u1"), vibes.agent("planner"), vibes.task("plan"):
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(input_tokens=1200, output_tokens=300)

Before ``init()`` and when disabled every call is a cheap no-op; after ``init()`` no
call raises. See docs/sdk.md.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Public names and the module each lives in. They load on first use (PEP 562), so that
# `import vibes_sdk.names` (dashboards, rules, the CLI) does not pull in the OpenTelemetry SDK.
_LAZY = {
    "ObserveConfig": "vibes_sdk.config", "ConfigError": "vibes_sdk.config",
    "TraceContext": "vibes_sdk.context", "agent": "vibes_sdk.context", "cost_center": "vibes_sdk.context",
    "current_context": "vibes_sdk.context", "extract": "vibes_sdk.context", "inject": "vibes_sdk.context",
    "model": "vibes_sdk.context", "session": "vibes_sdk.context", "submit": "vibes_sdk.context",
    "swarm": "vibes_sdk.context", "user": "vibes_sdk.context", "wrap": "vibes_sdk.context",
    "CostTracker": "vibes_sdk.cost", "get_logger": "vibes_sdk.logs",
    "instrument": "vibes_sdk.tracing", "llm_call": "vibes_sdk.tracing", "task": "vibes_sdk.tracing",
    "tool_call": "vibes_sdk.tracing", "workflow": "vibes_sdk.tracing",
}

if TYPE_CHECKING:
    from vibes_sdk.config import ConfigError, ObserveConfig
    from vibes_sdk.context import (
        TraceContext,
        agent,
        cost_center,
        current_context,
        extract,
        inject,
        model,
        session,
        submit,
        swarm,
        user,
        wrap,
    )
    from vibes_sdk.cost import CostTracker
    from vibes_sdk.logs import get_logger
    from vibes_sdk.tracing import instrument, llm_call, task, tool_call, workflow

__all__ = [
    "init", "shutdown", "flush", "dropped", "enabled", "ObserveConfig", "ConfigError", "TraceContext",
    "session", "agent", "swarm", "user", "cost_center", "model", "current_context",
    "inject", "extract", "wrap", "submit",
    "task", "llm_call", "tool_call", "workflow", "instrument",
    "get_logger", "cost_tracker", "CostTracker", "names",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        if name == "names":
            return importlib.import_module("vibes_sdk.names")
        raise AttributeError(f"module 'vibes_sdk' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups are plain module attributes (the hot path)
    return value


def _runtime() -> Any:
    return importlib.import_module("vibes_sdk._internal.runtime")


def init(config: ObserveConfig | None = None, *, config_file: str | None = None, **kwargs: Any) -> ObserveConfig:
    """Configure tracing, metrics and logging; returns the effective configuration.

    Precedence: keyword arguments > environment (VIBES_*, then OTEL_*) > YAML file
    (``config_file`` or ``VIBES_CONFIG_FILE``) > defaults. Invalid configuration raises
    :class:`ConfigError` here, naming the key and value; nothing raises after this.
    """
    from vibes_sdk.config import FIELDS, load_config
    if config is not None:  # taken as is (no env/file), but validated like every other source
        cfg = load_config(env={}, **{f: getattr(config, f) for f in FIELDS})
    else:
        cfg = load_config(config_file, **kwargs)
    _runtime().start(cfg)
    return cfg


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop, waiting at most `timeout` seconds (default: config shutdown_timeout).

    Returns False when the flush did not finish in time. Also runs at interpreter exit.
    """
    runtime = _runtime()
    try:
        return runtime.stop(timeout)
    except Exception as exc:  # noqa: BLE001
        runtime.guard.suppressed("shutdown", exc)
        return False


def dropped() -> dict[str, int]:
    """This process' dropped telemetry items so far, ``"signal/reason" -> count`` (what
    ``vibes.sdk.dropped`` exports; kept after shutdown, for reports)."""
    return {f"{signal}/{reason}": n for (signal, reason), n in _runtime().guard.DROPS.items()}


def flush(timeout: float = 5.0) -> bool:
    """Export what is buffered now (bounded by `timeout`); True when everything went out."""
    runtime = _runtime()
    state = runtime.STATE
    if state is None:
        return True
    try:
        return state.flush(timeout)
    except Exception as exc:  # noqa: BLE001
        runtime.guard.suppressed("flush", exc)
        return False


def enabled() -> bool:
    """True between a successful init() and shutdown()."""
    return _runtime().STATE is not None


def cost_tracker() -> CostTracker:
    """The in-process cost view (today / week / month / all time, by model, session, agent)."""
    return _runtime().COST_TRACKER

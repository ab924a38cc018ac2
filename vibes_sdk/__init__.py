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

from typing import Any

from vibes_sdk import names
from vibes_sdk._internal import guard as _guard
from vibes_sdk._internal import runtime as _runtime
from vibes_sdk.config import FIELDS as _CONFIG_FIELDS
from vibes_sdk.config import ConfigError, ObserveConfig, load_config
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
    "init", "shutdown", "flush", "enabled", "ObserveConfig", "ConfigError", "TraceContext",
    "session", "agent", "swarm", "user", "cost_center", "model", "current_context",
    "inject", "extract", "wrap", "submit",
    "task", "llm_call", "tool_call", "workflow", "instrument",
    "get_logger", "cost_tracker", "CostTracker", "names",
]


def init(config: ObserveConfig | None = None, *, config_file: str | None = None, **kwargs: Any) -> ObserveConfig:
    """Configure tracing, metrics and logging; returns the effective configuration.

    Precedence: keyword arguments > environment (VIBES_*, then OTEL_*) > YAML file
    (``config_file`` or ``VIBES_CONFIG_FILE``) > defaults. Invalid configuration raises
    :class:`ConfigError` here, naming the key and value; nothing raises after this.
    """
    if config is not None:  # taken as is (no env/file), but validated like every other source
        cfg = load_config(env={}, **{f: getattr(config, f) for f in _CONFIG_FIELDS})
    else:
        cfg = load_config(config_file, **kwargs)
    _runtime.start(cfg)
    return cfg


def shutdown(timeout: float | None = None) -> bool:
    """Flush and stop, waiting at most `timeout` seconds (default: config shutdown_timeout).

    Returns False when the flush did not finish in time. Also runs at interpreter exit.
    """
    try:
        return _runtime.stop(timeout)
    except Exception as exc:  # noqa: BLE001
        _guard.suppressed("shutdown", exc)
        return False


def flush(timeout: float = 5.0) -> bool:
    """Export what is buffered now (bounded by `timeout`); True when everything went out."""
    state = _runtime.STATE
    if state is None:
        return True
    try:
        return state.flush(timeout)
    except Exception as exc:  # noqa: BLE001
        _guard.suppressed("flush", exc)
        return False


def enabled() -> bool:
    """True between a successful init() and shutdown()."""
    return _runtime.STATE is not None


def cost_tracker() -> CostTracker:
    """The in-process cost view (today / week / month / all time, by model, session, agent)."""
    return _runtime.COST_TRACKER

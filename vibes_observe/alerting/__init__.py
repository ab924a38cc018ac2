"""Alert rules, budgets and notifications as code (contract: docs/CONTRACTS.md "Alerting ↔ stack").

``validate`` the stack config's ``alerting:`` section, then ``render_rule_files`` for
Prometheus and ``render_alertmanager_config`` for Alertmanager.

The public names load on first use: the query layer and the CLI's hot paths import
``alerting.defaults`` alone and must not pay for pydantic and YAML (bench/bench_cli.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from vibes_observe.alerting.config import AlertingConfig, AlertingConfigError, Budget, Channel, validate
    from vibes_observe.alerting.rules import render_rule_files

#: File name of the channel manifest, next to the rendered alertmanager.yml.
CHANNEL_MANIFEST = "channels.json"

_LAZY = {"AlertingConfig": "config", "AlertingConfigError": "config", "Budget": "config", "Channel": "config",
         "validate": "config", "render_rule_files": "rules"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f"vibes_observe.alerting.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'vibes_observe.alerting' has no attribute {name!r}")


def render_alertmanager_config(cfg: AlertingConfig, *, receiver_url: str) -> str:
    """Alertmanager YAML; ``receiver_url`` is the console/file receiver's ``/alerts`` URL."""
    from vibes_observe.alerting import alertmanager
    return alertmanager.render(cfg, receiver_url=receiver_url)


def render_channel_manifest(cfg: AlertingConfig) -> str:
    """JSON naming the channels (name, type, severities) for the CLI; no secrets."""
    from vibes_observe.alerting import alertmanager
    return alertmanager.channel_manifest(cfg)


__all__ = ["render_channel_manifest", "CHANNEL_MANIFEST", "AlertingConfig", "AlertingConfigError", "Budget", "Channel", "validate",
           "render_rule_files", "render_alertmanager_config"]

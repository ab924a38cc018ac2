"""Alert rules, budgets and notifications as code (contract: docs/CONTRACTS.md "Alerting ↔ stack").

``validate`` the stack config's ``alerting:`` section, then ``render_rule_files`` for
Prometheus and ``render_alertmanager_config`` for Alertmanager.
"""

from __future__ import annotations

from vibes_observe.alerting import alertmanager as _alertmanager
from vibes_observe.alerting.config import AlertingConfig, AlertingConfigError, Budget, Channel, validate
from vibes_observe.alerting.rules import render_rule_files


def render_alertmanager_config(cfg: AlertingConfig, *, receiver_url: str) -> str:
    """Alertmanager YAML; ``receiver_url`` is the console/file receiver's ``/alerts`` URL."""
    return _alertmanager.render(cfg, receiver_url=receiver_url)


def render_channel_manifest(cfg: AlertingConfig) -> str:
    """JSON naming the channels (name, type, severities) for the CLI; no secrets."""
    return _alertmanager.channel_manifest(cfg)


#: File name of the channel manifest, next to the rendered alertmanager.yml.
CHANNEL_MANIFEST = "channels.json"

__all__ = ["render_channel_manifest", "CHANNEL_MANIFEST", "AlertingConfig", "AlertingConfigError", "Budget", "Channel", "validate",
           "render_rule_files", "render_alertmanager_config"]

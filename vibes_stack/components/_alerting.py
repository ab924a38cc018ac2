"""Rule files, Alertmanager YAML and the CLI's channel manifest, from the alerting package's public
API (shared by the alertmanager and prometheus components)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from vibes_observe import alerting

from ..errors import StackConfigError

if TYPE_CHECKING:
    from ..config import StackConfig
    from .base import Placement

RECEIVER = "alert-receiver"


def receiver_url(cfg: StackConfig, place: Placement) -> str:
    return f"http://{place.reach(RECEIVER)}:{cfg.ports.alert_receiver}/alerts"


def outputs(cfg: StackConfig, place: Placement) -> tuple[dict[str, str], str, str]:
    """(rule files, alertmanager.yml, channels.json) for this placement's receiver address."""
    return render(cfg, receiver_url=receiver_url(cfg, place), prometheus_url=place.url(cfg.ports.prometheus),
                  alertmanager_url=place.url(cfg.ports.alertmanager))


def render(cfg: StackConfig, *, receiver_url: str, prometheus_url: str,
           alertmanager_url: str) -> tuple[dict[str, str], str, str]:
    """The same outputs for explicit endpoints (a multi-host tier answers on other hosts and ports)."""
    try:  # AlertingConfigError (a ValueError) names the key, e.g. alerting.channels[2].url_env
        acfg = alerting.validate(cfg.alerting, prometheus_url=prometheus_url, alertmanager_url=alertmanager_url)
        return (alerting.render_rule_files(acfg),
                alerting.render_alertmanager_config(acfg, receiver_url=receiver_url),
                alerting.render_channel_manifest(acfg))
    except ValueError as exc:
        raise StackConfigError(str(exc)) from exc

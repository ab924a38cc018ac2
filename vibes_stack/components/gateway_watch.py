"""gateway-watch (multi-host tier, every app host): keeps the agent's gateway name resolving to the
healthy gateways (the program: vibes_stack/gateway_watch.py)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import paths
from ..errors import StackConfigError
from ..gateway_watch import GATEWAYS_NAME
from . import collector_gateway
from .base import Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "gateway-watch"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    gateways = place.placed(collector_gateway.NAME)
    if not gateways:
        raise StackConfigError(f"vibes_components: {NAME} on the host at {place.public_host} watches the "
                               f"{collector_gateway.NAME} hosts, and the inventory places none")
    port = cfg.ports.gateway_watch
    return ComponentSpec(
        NAME, [place.python, "-m", "vibes_stack.gateway_watch", *[a for g in gateways for a in ("--gateway", g)],
               "--port", str(cfg.ports.collector_health), "--listen", f"{place.listen}:{port}"],
        health_url=place.url(port, "/"), url=f"/etc/hosts: {GATEWAYS_NAME} → the healthy of {', '.join(gateways)}",
        cwd=str(paths.REPO_ROOT))


COMPONENT = Component(NAME, spec, fleet_only=True)

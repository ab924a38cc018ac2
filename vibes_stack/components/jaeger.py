"""jaeger: trace storage (badger on disk) and query API."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Component, ComponentSpec, Placement, template

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "jaeger"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    config, seen_config = place.config_file(NAME, "jaeger.yaml")
    data = place.data(NAME)
    text = template("jaeger.yaml.j2", listen=place.listen, ports=cfg.ports,
                    retention_go={"traces": cfg.retention.traces.go},
                    too_old_ns=int(cfg.retention.traces.seconds * 10**9),
                    paths={"jaeger_keys": f"{data}/keys", "jaeger_values": f"{data}/values"})
    host_data = place.state.data / NAME
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"--config={seen_config}"],
        health_url=place.url(cfg.ports.jaeger_health, "/status"), url=place.url(cfg.ports.jaeger_query),
        files={config: text}, dirs=[str(host_data / "keys"), str(host_data / "values")],
        published=[cfg.ports.jaeger_query, cfg.ports.jaeger_health, cfg.ports.jaeger_metrics])


COMPONENT = Component(NAME, spec, executables=("jaeger",), memory_limit="1g")

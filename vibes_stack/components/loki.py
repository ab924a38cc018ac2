"""loki: logs in compose; natively only when a binary is already present (it cannot be built here)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .base import Absent, Component, ComponentSpec, Placement, template

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "loki"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
    if not place.available(NAME):
        return Absent("loki: no binary found (it cannot be built here); see the logs notice above")
    config, seen_config = place.config_file(NAME, "loki.yaml")
    text = template("loki.yaml.j2", listen=place.listen, ports=cfg.ports, data_dir=place.data(NAME),
                    retention_go={"logs": cfg.retention.logs.go})
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"-config.file={seen_config}"],
        health_url=place.url(cfg.ports.loki, "/ready"), url=place.url(cfg.ports.loki),
        files={config: text}, dirs=[str(place.state.data / NAME)], published=[cfg.ports.loki])


COMPONENT = Component(NAME, spec, executables=("loki",), optional=True, memory_limit="1g")

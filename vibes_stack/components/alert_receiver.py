"""alert-receiver: the console/file webhook Alertmanager delivers to (`python -m vibes_observe.alert_receiver`)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from .. import paths
from .base import Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "alert-receiver"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    port = cfg.ports.alert_receiver
    # natively its data dir has been <state>/data/alerts since the first release: kept
    host_data = place.state.data / ("alerts" if place.native else NAME)
    seen_file = f"{host_data if place.native else place.data(NAME)}/alerts.jsonl"
    return ComponentSpec(
        NAME, [place.python, "-m", "vibes_observe.alert_receiver", "--listen", f"{place.listen}:{port}",
               "--file", seen_file],
        health_url=place.url(port, "/healthz"),
        url=place.url(port) + (f" (alerts → {seen_file})" if place.native else ""),
        dirs=[str(host_data)],
        cwd=str(paths.REPO_ROOT) if place.native else "",
        env={} if place.native else {"PYTHONPATH": "/app"},
        published=[port], volumes=[f"{paths.REPO_ROOT / 'vibes_observe'}:/app/vibes_observe:ro"])


COMPONENT = Component(NAME, spec, memory_limit="128m", image_key="alert_receiver")

"""alertmanager: routes alerts to the channels of the alerting config. A single node has no gossip; in a
fleet whose group data places it on several hosts the replicas form one gossip cluster, so an alert
every replica receives is notified once."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import _alerting
from .base import Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "alertmanager"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    port = cfg.ports.alertmanager
    _, am_yaml, channels = _alerting.outputs(cfg, place)
    config, seen_config = place.config_file(NAME, "alertmanager.yml")
    manifest, _ = place.config_file(NAME, "channels.json")  # read by `vibes observe alerts` on this host
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"--config.file={seen_config}", f"--storage.path={place.data(NAME)}",
               f"--web.listen-address={place.listen}:{port}", *cluster_flags(cfg, place)],
        health_url=place.url(port, "/-/ready"), url=place.url(port),
        files={config: am_yaml, manifest: channels},
        secret_files={config},  # may hold webhook URLs / SMTP passwords resolved from *_env
        dirs=[str(place.state.data / NAME)], published=[port])


def cluster_flags(cfg: StackConfig, place: Placement) -> list[str]:
    replicas = place.reach_all(NAME)
    if len(replicas) < 2:
        return ["--cluster.listen-address="]  # empty: no gossip listener at all
    gossip = f"{place.listen}:{cfg.ports.alertmanager_cluster}"
    return [f"--cluster.listen-address={gossip}", f"--cluster.advertise-address={gossip}",
            *(f"--cluster.peer={peer}:{cfg.ports.alertmanager_cluster}" for peer in replicas if peer != place.listen)]


COMPONENT = Component(NAME, spec, after=(_alerting.RECEIVER,), executables=("alertmanager", "prometheus-alertmanager"),
                      memory_limit="256m")

"""loki: logs in compose; natively only when a binary is already present (it cannot be built here).

``loki.mode: single`` (default) runs one process on its filesystem. ``simple-scalable`` (compose)
runs the write, read and backend targets of the same image, one component each, all reading ONE
rendered config: a memberlist ring joined by service name, chunks and index in an S3 bucket on
SeaweedFS (``seaweedfs.py``). The collector pushes to the write target, the CLI and Grafana query
the read target; no gateway: each target publishes its own port, and in the container network a
service name resolves to every replica.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import seaweedfs
from .base import CONTAINER_DATA, Absent, Component, ComponentSpec, Placement, template

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "loki"
CONFIG = "loki.yaml"
#: simple-scalable: component name → its -target; and each target's port in ``ports``
TARGETS = {"loki-write": "write", "loki-read": "read", "loki-backend": "backend"}
TARGET_PORT_KEYS = {"write": "loki_write", "read": "loki", "backend": "loki_backend"}
WRITE, READ, BACKEND = TARGETS


def scalable(cfg: StackConfig, place: Placement) -> bool:
    return seaweedfs.wanted(cfg, place)


def _port(cfg: StackConfig, component: str) -> int:
    return getattr(cfg.ports, TARGET_PORT_KEYS[TARGETS[component]])


def push_url(cfg: StackConfig, place: Placement) -> str:
    """Where the collector sends logs (Loki's base URL; OTLP under /otlp)."""
    if scalable(cfg, place):
        return f"http://{place.reach(WRITE)}:{_port(cfg, WRITE)}"
    return f"http://{place.reach(NAME)}:{cfg.ports.loki}"


def query_url(cfg: StackConfig, place: Placement) -> str:
    """Where Grafana (and anything in the stack) queries logs."""
    return f"http://{place.reach(READ if scalable(cfg, place) else NAME)}:{cfg.ports.loki}"


def scraped(cfg: StackConfig, place: Placement) -> list[tuple[str, int]]:
    """(host, port) of every Loki process Prometheus scrapes (one per target; replicas share a name)."""
    if scalable(cfg, place):
        return [(place.reach(c), _port(cfg, c)) for c in TARGETS]
    return [(h, cfg.ports.loki) for h in place.reach_all(NAME)] if place.available(NAME) else []


def _config(cfg: StackConfig, place: Placement, data_dir: str) -> tuple[str, str, str]:
    """(path on this host, path the process reads, text) of the Loki config."""
    path, seen = place.config_file(NAME, CONFIG)
    shared = None
    if scalable(cfg, place):
        creds = seaweedfs.credentials(place)
        shared = {"join_members": [f"dns+{place.reach(c)}:{cfg.ports.loki_memberlist}" for c in TARGETS],
                  "replication_factor": min(cfg.loki.replicas.write, 3),
                  "compactor_address": f"http://{place.reach(BACKEND)}:{_port(cfg, BACKEND)}",
                  "s3": {"endpoint": seaweedfs.endpoint(cfg, place), "bucket": seaweedfs.BUCKET,
                         "access_key": creds.access_key, "secret_key": creds.secret_key}}
    text = template("loki.yaml.j2", listen=place.listen, ports=cfg.ports, data_dir=data_dir,
                    retention_go={"logs": cfg.retention.logs.go}, scalable=shared)
    return path, seen, text


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
    if scalable(cfg, place):
        return Absent()  # its three targets run instead
    if not place.available(NAME):
        return Absent("loki: no binary found (it cannot be built here); see the logs notice above")
    config, seen_config, text = _config(cfg, place, place.data(NAME))
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"-config.file={seen_config}"],
        health_url=place.url(cfg.ports.loki, "/ready"), url=place.url(cfg.ports.loki),
        files={config: text}, dirs=[str(place.state.data / NAME)], published=[cfg.ports.loki])


def _target_spec(component: str):
    def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
        if not scalable(cfg, place):
            return Absent()
        target, port = TARGETS[component], _port(cfg, component)
        # each replica keeps its WAL/caches under its own container hostname in its target's data dir
        data_dir = f"{CONTAINER_DATA}/{NAME}"
        config, seen_config, text = _config(cfg, place, data_dir + "/${HOSTNAME}")
        host_data = str(place.state.data / component)
        return ComponentSpec(
            component, [f"-config.file={seen_config}", f"-target={target}", "-config.expand-env=true",
                        f"-server.http-listen-port={port}"],
            health_url=place.url(port, "/ready"), url=place.url(port) + f" (Loki {target})",
            files={config: text}, secret_files={config},  # it holds the object store's secret key
            dirs=[host_data], data_volume=False, volumes=[f"{host_data}:{data_dir}"],
            published=[port], replicas=getattr(cfg.loki.replicas, target))
    return spec


COMPONENT = Component(NAME, spec, executables=("loki",), optional=True, memory_limit="1g")
COMPONENTS = tuple(Component(name, _target_spec(name), after=(seaweedfs.NAME,), image_key=NAME, memory_limit="1g")
                   for name in TARGETS)

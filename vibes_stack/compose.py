"""Compose mode: the official images, pinned in stack/versions.yaml, rendered into
``<state>/compose.yaml`` with configs under ``<state>/config``.

Every port is published on the bind address (127.0.0.1); every container has a memory
limit and rotated json-file logs; each service carries its config hash as a label, so
`docker compose up -d` recreates exactly the services whose config changed.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import components, paths
from .binaries import versions
from .components.base import CONTAINER_CONF, CONTAINER_DATA, Component, ComponentSpec, ContainerPlacement
from .config import StackConfig
from .render import ComponentPlan, render_all

PROJECT = "vibes-observe"


@dataclass
class ComposePlan:
    mode: str
    state_dir: str
    components: dict[str, ComponentPlan]
    compose_file: str
    compose_text: str
    files: dict[str, str]
    dirs: list[str]
    secrets: list[str]
    notices: list[str] = field(default_factory=list)

    def ordered(self) -> list[ComponentPlan]:
        return list(self.components.values())

    def compose_doc(self, action: str) -> dict[str, Any]:
        return {"mode": "compose", "action": action, "state_dir": self.state_dir, "compose_project": PROJECT,
                "compose_file": self.compose_file, "files": {**self.files, self.compose_file: self.compose_text},
                "dirs": self.dirs, "secrets": self.secrets, "components": [],
                "secret_files": sorted(p for c in self.ordered() for p in c.secret_files),
                "service_hashes": {n: svc["labels"]["vibes.config-hash"]
                                   for n, svc in yaml.safe_load(self.compose_text)["services"].items()}}


def _service(component: Component, spec: ComponentSpec, place: ContainerPlacement) -> dict[str, Any]:
    cfg, st, name = place.cfg, place.state, component.name
    image = place.versions[component.image_key or name]["image"]
    own_files = [spec.files[p] for p in sorted(spec.files)]
    digest = hashlib.sha256(json.dumps([image, spec.argv, spec.env or None, spec.volumes] + own_files)
                            .encode()).hexdigest()[:16]
    limits = cfg.containers
    body: dict[str, Any] = {
        "image": image, "command": spec.argv, "restart": "unless-stopped",
        "mem_limit": limits.mem_limits.get(name, component.memory_limit),
        "logging": {"driver": "json-file", "options": {"max-size": limits.log_max_size,
                                                      "max-file": str(limits.log_max_file)}},
        "labels": {"vibes.config-hash": digest},
        "ports": [_published(place.public_host, p, spec.replicas) for p in spec.published],
        "volumes": [f"{d}:{CONTAINER_CONF}:ro" for d in _config_dirs(spec, st)]
                   + ([f"{st.data / name}:{CONTAINER_DATA}/{name}"] if spec.data_volume else [])
                   + spec.volumes,
        "user": f"{os.getuid()}:{os.getgid()}",
    }
    if spec.env:
        body["environment"] = spec.env
    if spec.replicas > 1:
        body["deploy"] = {"replicas": spec.replicas}
    return body


def _published(host: str, port: int, replicas: int) -> str:
    """One published port; replicas take consecutive host ports (replica i on ``port + i``)."""
    return f"{host}:{port}:{port}" if replicas == 1 else f"{host}:{port}-{port + replicas - 1}:{port}"


def _config_dirs(spec: ComponentSpec, st: paths.StateLayout) -> list[Path]:
    """The config directory its rendered files live in (its own, or one it shares with others)."""
    return sorted({st.config / Path(p).relative_to(st.config).parts[0]
                   for p in spec.files if Path(p).is_relative_to(st.config)})


def render_compose(cfg: StackConfig, state_dir: Path | str) -> ComposePlan:
    st = paths.StateLayout(state_dir)
    place = ContainerPlacement(cfg, st, versions())
    specs, notices = render_all(cfg, place)
    registry = {c.name: c for c in components.ALL}
    services = {name: _service(registry[name], spec, place) for name, spec in specs.items()}
    compose_text = ("# Rendered by vibes_stack from stack/versions.yaml + the stack config. Do not edit.\n"
                    + yaml.safe_dump({"name": PROJECT, "services": services}, sort_keys=False))
    files = {p: t for spec in specs.values() for p, t in spec.files.items()}
    dirs = list(dict.fromkeys(d for name, spec in specs.items()
                              for d in ([str(st.data / name)] if spec.data_volume else []) + spec.dirs))
    secrets = [s for spec in specs.values() for s in spec.secrets]
    return ComposePlan("compose", str(st.root), specs, str(st.root / "compose.yaml"), compose_text, files,
                       dirs, secrets, notices)

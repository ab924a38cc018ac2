"""cassandra: a node of the clustered trace storage Jaeger v2 writes to (the `traces` group of a fleet).

The node itself (cassandra.yaml, JVM options, the pinned jars) is ``vibes_stack.cassandra``'s; this
module places it: it listens on the host's address, joins the first ``trace_storage.seeds`` Cassandra
hosts of the inventory, keeps its data under the host's state dir. Healthy = it serves CQL (a TCP
probe: Cassandra has no HTTP endpoint).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .. import cassandra as engine
from .base import Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "cassandra"
# start to CQL measured 12-80 s on 2 shared cores (stack/README.md), more under heavy load
START_TIMEOUT_S = 300.0


def node(cfg: StackConfig, place: Placement) -> engine.Node:
    ts = cfg.trace_storage
    return engine.Node(name=place.listen, address=place.listen, home=Path(place.data(NAME)),
                       seeds=tuple(place.reach_all(NAME)[:ts.seeds]), storage_port=cfg.ports.cassandra_storage,
                       native_port=cfg.ports.cassandra_native, heap=ts.heap, quick_start=ts.quick_start)


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    this = node(cfg, place)
    return ComponentSpec(
        NAME, engine.java_argv(this, engine.lib_dir(), java=place.executable(NAME)[0]),
        health_url=f"tcp://{this.address}:{this.native_port}", url=f"cql://{this.address}:{this.native_port}",
        files=engine.node_files(this, cfg.trace_storage.replication_factor), dirs=engine.node_dirs(this),
        cwd=str(this.home), health_timeout=START_TIMEOUT_S)


COMPONENT = Component(NAME, spec, executables=("java",), fleet_only=True)

"""The metrics tier of a multi-host deployment, as data: each process' argv, files and dirs.

VictoriaMetrics cluster cannot be built here (the Go module proxy serves none of its `-cluster`
versions), so the tier is Thanos, mapped one to one:

* vminsert  → `thanos receive` routers: a hashring file naming the ingestors, replication factor 2
  (Thanos' write quorum for RF=2 is 1, so writes succeed while one ingestor is down);
* vmstorage → `thanos receive` ingestors: own TSDB, the stack's metrics retention, a replica label;
* vmselect  → `thanos query`: the Prometheus HTTP API over ingestors + rulers, deduplicated on the
  replica labels, so the CLI and dashboards query it like the single-host Prometheus;
* vmalert   → `thanos rule`: the SAME generated rule files as the single-host Prometheus, sending to
  every Alertmanager with its replica label dropped, so replicas' alerts are identical and the
  Alertmanager pair (gossip cluster) notifies once.

Every listener binds the node's own address (Thanos defaults to 0.0.0.0).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

from ..components import _alerting
from ..paths import StateLayout

if TYPE_CHECKING:
    from ..config import StackConfig

#: Thanos' own default ports; each node has its own address, so they never collide.
THANOS_PORTS = MappingProxyType({"grpc": 10901, "http": 10902, "remote_write": 19291, "capnproto": 19391})
ALERTMANAGER_CLUSTER_PORT = 9094  # gossip (TCP and UDP)
REPLICATION_FACTOR = 2
HASHRING_NAME = "default"
RECEIVE_REPLICA_LABEL = "receive_replica"
RULE_REPLICA_LABEL = "rule_replica"
REMOTE_WRITE_PATH = "/api/v1/receive"


@dataclass(frozen=True)
class Node:
    """One host of the tier: its name (also its replica label value), address and state root."""
    name: str
    address: str
    state_dir: Path

    @property
    def layout(self) -> StateLayout:
        return StateLayout(self.state_dir)

    def endpoint(self, port: str) -> str:
        return f"{self.address}:{THANOS_PORTS[port]}"


@dataclass(frozen=True)
class Topology:
    routers: tuple[Node, ...]
    ingestors: tuple[Node, ...]
    queriers: tuple[Node, ...]
    rulers: tuple[Node, ...]
    alertmanagers: tuple[Node, ...]
    receiver_url: str  # the alert receiver's /alerts URL every Alertmanager delivers to

    def validate(self) -> None:
        for role in ("routers", "ingestors", "queriers", "rulers", "alertmanagers"):
            if not getattr(self, role):
                raise ValueError(f"metrics tier: {role}: at least one node is needed")
        # Prometheus' rule manager offsets a group's evaluations by a hash of (file path, group name), and
        # thanos rule loads its rule files from a copy under its data dir: one state dir path on every
        # ruler puts the replicas' ledger samples on the same timestamps, so query's dedup is 1:1.
        # At different offsets the merge took a second replica's increments too (measured: the
        # penalty merger counted 13 ledger steps for 12, the chain merger 24).
        if len({n.state_dir for n in self.rulers}) != 1:
            raise ValueError("metrics tier: rulers: every ruler needs the same state dir path, got "
                             + ", ".join(sorted(str(n.state_dir) for n in self.rulers)))
        if len(self.ingestors) < REPLICATION_FACTOR:
            raise ValueError(f"metrics tier: ingestors: {len(self.ingestors)} node(s) cannot hold "
                             f"replication factor {REPLICATION_FACTOR}")


@dataclass(frozen=True)
class Process:
    role: str  # router | ingestor | query | rule | alertmanager
    node: Node
    argv: tuple[str, ...]
    ready_url: str
    files: Mapping[str, str] = field(default_factory=dict)  # path → content
    dirs: tuple[str, ...] = ()


def remote_write_url(router: Node) -> str:
    return f"http://{router.endpoint('remote_write')}{REMOTE_WRITE_PATH}"


def query_url(querier: Node) -> str:
    """Base URL of the Prometheus-compatible HTTP API."""
    return f"http://{querier.endpoint('http')}"


def alertmanager_url(node: Node, cfg: StackConfig) -> str:
    return f"http://{node.address}:{cfg.ports.alertmanager}"


def hashring(ingestors: tuple[Node, ...]) -> str:
    return json.dumps([{"hashring": HASHRING_NAME, "endpoints": [{"address": n.endpoint("grpc")}
                                                                  for n in ingestors]}], indent=2) + "\n"


def _listeners(node: Node) -> list[str]:
    return [f"--grpc-address={node.endpoint('grpc')}", f"--http-address={node.endpoint('http')}"]


def _ready(node: Node) -> str:
    return f"http://{node.endpoint('http')}/-/ready"


def _receive(node: Node, thanos: str) -> list[str]:
    # Thanos requires an identifying external label on every receive, routers included (they store nothing)
    return [thanos, "receive", *_listeners(node), f"--remote-write.address={node.endpoint('remote_write')}",
            f"--receive.capnproto-address={node.endpoint('capnproto')}",
            f'--label={RECEIVE_REPLICA_LABEL}="{node.name}"']


def router(node: Node, topology: Topology, thanos: str) -> Process:
    config = node.layout.config / "thanos-router"
    ring = config / "hashring.json"
    tsdb = node.layout.data / "thanos-router"  # RouterOnly keeps no TSDB; the flag still names a dir
    # no --receive.local-endpoint: with a hashring that makes it a pure router (Thanos' RouterOnly mode)
    argv = [*_receive(node, thanos), f"--receive.hashrings-file={ring}", "--receive.hashrings-algorithm=ketama",
            f"--receive.replication-factor={REPLICATION_FACTOR}", f"--tsdb.path={tsdb}"]
    return Process("router", node, tuple(argv), _ready(node), {str(ring): hashring(topology.ingestors)},
                   (str(config), str(tsdb)))


def ingestor(node: Node, cfg: StackConfig, thanos: str) -> Process:
    tsdb = node.layout.data / "thanos-ingestor"
    # no hashring: Thanos' IngestorOnly mode, fed by the routers over gRPC
    argv = [*_receive(node, thanos), f"--tsdb.path={tsdb}", f"--tsdb.retention={cfg.retention.metrics}"]
    return Process("ingestor", node, tuple(argv), _ready(node), dirs=(str(tsdb),))


def querier(node: Node, topology: Topology, thanos: str) -> Process:
    stores = [n.endpoint("grpc") for n in topology.ingestors + topology.rulers]
    # chain: replicas hold the same samples at the same timestamps (receive replicates each sample;
    # rulers evaluate at the same instants, see Topology.validate), so dedup is 1:1 and exact. The default
    # penalty merger, made for scrapes at different instants, dropped two batches of samples at an
    # ingestor's failover (measured: 10 700 of 10 800 samples).
    argv = [thanos, "query", *_listeners(node), *(f"--endpoint={s}" for s in stores),
            f"--query.replica-label={RECEIVE_REPLICA_LABEL}", f"--query.replica-label={RULE_REPLICA_LABEL}",
            "--deduplication.func=chain"]
    return Process("query", node, tuple(argv), _ready(node))


def ruler(node: Node, topology: Topology, cfg: StackConfig, rule_files: Mapping[str, str],
          thanos: str) -> Process:
    rules_dir = node.layout.config / "thanos-rule" / "rules"
    data = node.layout.data / "thanos-rule"
    argv = [thanos, "rule", *_listeners(node), f"--data-dir={data}",
            f"--rule-file={rules_dir}/*.yml",
            # groups carry their own interval (the ledger's); the rest use the stack's evaluation interval
            f"--eval-interval={cfg.intervals.evaluation}",
            f"--tsdb.retention={cfg.retention.metrics}",
            f'--label={RULE_REPLICA_LABEL}="{node.name}"', f"--alert.label-drop={RULE_REPLICA_LABEL}",
            *(f"--query={query_url(q)}" for q in topology.queriers),
            *(f"--alertmanagers.url={alertmanager_url(a, cfg)}" for a in topology.alertmanagers)]
    files = {str(rules_dir / name): text for name, text in sorted(rule_files.items())}
    return Process("rule", node, tuple(argv), _ready(node), files, (str(rules_dir), str(data)))


def alertmanager(node: Node, topology: Topology, cfg: StackConfig, am_yaml: str,
                 alertmanager_bin: str) -> Process:
    config = node.layout.config / "alertmanager" / "alertmanager.yml"
    data = node.layout.data / "alertmanager"
    gossip = f"{node.address}:{ALERTMANAGER_CLUSTER_PORT}"
    peers = [f"--cluster.peer={p.address}:{ALERTMANAGER_CLUSTER_PORT}" for p in topology.alertmanagers
             if p != node]
    argv = [alertmanager_bin, f"--config.file={config}", f"--storage.path={data}",
            f"--web.listen-address={node.address}:{cfg.ports.alertmanager}",
            f"--cluster.listen-address={gossip}", f"--cluster.advertise-address={gossip}", *peers]
    return Process("alertmanager", node, tuple(argv), f"{alertmanager_url(node, cfg)}/-/ready",
                   {str(config): am_yaml}, (str(config.parent), str(data)))


def alerting_files(cfg: StackConfig, topology: Topology) -> tuple[dict[str, str], str]:
    """(rule files, alertmanager.yml): the single-host ones, with the tier's endpoints in the runbooks."""
    rule_files, am_yaml, _channels = _alerting.render(
        cfg, receiver_url=topology.receiver_url, prometheus_url=query_url(topology.queriers[0]),
        alertmanager_url=alertmanager_url(topology.alertmanagers[0], cfg))
    return rule_files, am_yaml


def render(cfg: StackConfig, topology: Topology, *, thanos: str, alertmanager_bin: str) -> list[Process]:
    """Every process of the tier, in start order (storage first, then what reads or writes it)."""
    topology.validate()
    rule_files, am_yaml = alerting_files(cfg, topology)
    return ([alertmanager(n, topology, cfg, am_yaml, alertmanager_bin) for n in topology.alertmanagers]
            + [ingestor(n, cfg, thanos) for n in topology.ingestors]
            + [router(n, topology, thanos) for n in topology.routers]
            + [ruler(n, topology, cfg, rule_files, thanos) for n in topology.rulers]
            + [querier(n, topology, thanos) for n in topology.queriers])

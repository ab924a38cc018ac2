"""Fixtures of tests/cluster: the namespace hosts (one cluster for the session: agents, gateways,
storage) and, on this machine's loopback, Cassandra nodes with Jaeger v2 on them (trace_cluster.py)."""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Iterator

import pytest

from vibes_stack import cassandra
from vibes_stack import config as stack_config
from vibes_stack.components import jaeger as jaeger_component

from .hosts import Cluster, LabSpec
from .inventory import write_inventory
from .metrics_tier import FIGURES as METRICS_FIGURES
from .tiers import FIGURES as TIER_FIGURES
from .trace_cluster import (FIGURES, JAEGER_ADDRESSES, KEYSPACE, NODE_ADDRESSES, REPLICATION_FACTOR, Jaeger,
                            TraceCluster, jaeger_binary, port_offset)


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0:  # fail loudly, never skip: these tests are the multi-host guarantee
        pytest.fail("tests/cluster need root (ip netns, sshd); run `make test-cluster` as root", pytrace=False)
    # two helpers may run clusters at once: each names its own prefix and subnet
    spec = LabSpec(prefix=os.environ.get("VIBES_CLUSTER_PREFIX", LabSpec.prefix),
                   subnet=os.environ.get("VIBES_CLUSTER_SUBNET", LabSpec.subnet))
    with Cluster(spec) as up:
        yield up


@pytest.fixture(scope="session")
def inventory_file(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_inventory(cluster, tmp_path_factory.mktemp("inventory") / "cluster_inventory.py")


@pytest.fixture(scope="module")
def trace_cluster(tmp_path_factory) -> Iterator[TraceCluster]:
    offset = port_offset()
    home = tmp_path_factory.mktemp("trace-cluster")
    started = time.monotonic()
    cached = cassandra.lib_dir().is_dir()
    try:
        lib = cassandra.fetch()
    except cassandra.CassandraError as exc:
        pytest.fail(str(exc), pytrace=False)
    FIGURES["jar fetch"] = "cached" if cached else f"{time.monotonic() - started:.0f}s (cold, Maven)"
    seeds = NODE_ADDRESSES[:1]
    nodes = [cassandra.Node(f"node{i}", address, home / f"node{i}", seeds,
                            storage_port=cassandra.STORAGE_PORT + offset,
                            native_port=cassandra.NATIVE_PORT + offset, quick_start=True)
             for i, address in enumerate(NODE_ADDRESSES, start=1)]
    ports = {k: v + offset for k, v in stack_config.load_defaults()["ports"].items() if k.startswith("jaeger_")}
    cluster = TraceCluster(nodes, lib, {name: Jaeger(name, address, ports, home)
                                        for name, address in JAEGER_ADDRESSES.items()})
    try:
        for node in nodes:  # one after the other: the seed first, then the node that joins it
            FIGURES[f"{node.name} start to CQL"] = f"{cluster.start_node(node):.0f}s"
        binary = jaeger_binary()
        for jaeger in cluster.jaegers.values():  # A creates the schema; B finds it
            text = jaeger_component.cassandra_config(
                listen=jaeger.address, ports=ports, servers=list(NODE_ADDRESSES),
                native_port=cassandra.NATIVE_PORT + offset, keyspace=KEYSPACE,
                replication_factor=REPLICATION_FACTOR, retention=stack_config.Duration("48h"))
            FIGURES[f"jaeger {jaeger.name} start"] = f"{jaeger.start(binary, text):.0f}s"
        for node in nodes:
            FIGURES[f"{node.name} RSS"] = f"{cassandra.rss_bytes(node) / 2**20:.0f} MiB (heap {node.heap})"
        yield cluster
    finally:
        for jaeger in cluster.jaegers.values():
            jaeger.stop()
        for node in nodes:
            cassandra.stop(node)


def pytest_terminal_summary(terminalreporter) -> None:
    """Each multi-host suite's measured figures, printed after the run."""
    for title, figures in (("metrics tier figures (this machine)", METRICS_FIGURES),
                           ("collector tier figures (this machine)", TIER_FIGURES),
                           ("trace cluster figures (this machine)", FIGURES)):
        if figures:
            terminalreporter.section(title)
            for name, value in figures.items():
                terminalreporter.write_line(f"{name:<40} {value}")

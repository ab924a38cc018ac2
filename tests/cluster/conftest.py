"""Fixtures of the namespace-host tests: one cluster for the session (agents, gateways, storage)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from .hosts import Cluster, LabSpec
from .inventory import write_inventory


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

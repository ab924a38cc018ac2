"""Fixtures of the namespace-host tests: one cluster for the session (agents, gateways, storage)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from .hosts import Cluster, LabSpec
from .inventory import write_inventory
from .metrics_tier import FIGURES as METRICS_FIGURES


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    if os.geteuid() != 0:  # fail loudly, never skip: these tests are the multi-host guarantee
        pytest.fail("tests/cluster need root (ip netns, sshd); run `make test-cluster` as root", pytrace=False)
    with Cluster(LabSpec()) as up:
        yield up


@pytest.fixture(scope="session")
def inventory_file(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_inventory(cluster, tmp_path_factory.mktemp("inventory") / "cluster_inventory.py")


def pytest_terminal_summary(terminalreporter) -> None:
    if METRICS_FIGURES:
        terminalreporter.section("metrics tier figures (this machine)")
        for name, value in METRICS_FIGURES.items():
            terminalreporter.write_line(f"{name:<40} {value}")

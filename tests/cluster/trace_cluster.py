"""The pieces of the clustered trace tests: Cassandra nodes and Jaeger v2 processes on them.

Everything runs on this machine: Cassandra nodes on 127.0.0.2 and 127.0.0.3 (Linux routes all
of 127/8 to lo), Jaeger A on 127.0.0.4 and Jaeger B on 127.0.0.5. Every port is the stack
default shifted by $VIBES_TEST_PORT_OFFSET (default 20000), so runs of other tests never collide.
Measured figures (fetch, node start, RSS) are printed at the end of the run.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from vibes_stack import binaries, cassandra

KEYSPACE = "vibes_traces"
REPLICATION_FACTOR = 2
NODE_ADDRESSES = ("127.0.0.2", "127.0.0.3")
# own loopback addresses: other processes on 127.0.0.1 may hold the same shifted ports
JAEGER_ADDRESSES = {"a": "127.0.0.4", "b": "127.0.0.5"}
FIGURES: dict[str, str] = {}


def port_offset() -> int:
    return int(os.environ.get("VIBES_TEST_PORT_OFFSET", "20000"))


@dataclass
class Jaeger:
    """One Jaeger v2 process: OTLP in, query API out, storage in the Cassandra cluster."""

    name: str
    address: str
    ports: dict[str, int]
    home: Path
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def query_url(self) -> str:
        return f"http://{self.address}:{self.ports['jaeger_query']}"

    @property
    def otlp_traces_url(self) -> str:
        return f"http://{self.address}:{self.ports['jaeger_otlp_http']}/v1/traces"

    @property
    def log_file(self) -> Path:
        return self.home / f"jaeger-{self.name}.log"

    def healthy(self) -> bool:
        try:
            return requests.get(f"http://{self.address}:{self.ports['jaeger_health']}/status", timeout=2).ok
        except requests.RequestException:
            return False

    def start(self, binary: str, config_text: str, timeout: float = 180) -> float:
        config_file = self.home / f"jaeger-{self.name}.yaml"
        config_file.write_text(config_text)
        with self.log_file.open("ab") as log:
            self.proc = subprocess.Popen([binary, "--config", str(config_file)], stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)
        started = time.monotonic()
        while not self.healthy():
            if self.proc.poll() is not None or time.monotonic() - started > timeout:
                tail = "\n".join(self.log_file.read_text(errors="replace").splitlines()[-15:])
                pytest.fail(f"Jaeger {self.name} did not become healthy (exit {self.proc.poll()}):\n{tail}",
                            pytrace=False)
            time.sleep(0.5)
        return time.monotonic() - started

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@dataclass
class TraceCluster:
    nodes: list[cassandra.Node]
    lib: Path
    jaegers: dict[str, Jaeger]

    def node(self, address: str) -> cassandra.Node:
        return next(n for n in self.nodes if n.address == address)

    def start_node(self, node: cassandra.Node) -> float:
        cassandra.start(node, self.lib, REPLICATION_FACTOR)
        try:
            return cassandra.wait_serving(node, timeout=300)
        except cassandra.CassandraError as exc:
            pytest.fail(str(exc), pytrace=False)


def jaeger_binary() -> str:
    found, _source = binaries.find("jaeger")
    return found or str(binaries.build_jaeger())

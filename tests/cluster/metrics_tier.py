"""The Thanos metrics tier and a reference Prometheus on namespace hosts, started by `cluster.spawn`.

Rendering is the registry's (vibes_stack/components/thanos.py, alertmanager.py: each host's
``HostPlacement`` with the tier's peers, exactly what a fleet deploy renders); this module only writes
the files, starts each process inside its host, waits until it is ready and measures it (start time,
RSS). Here each role has hosts of its own (the fleet deploy of the same components:
tests/cluster/test_fleet.py).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from vibes_stack import binaries, components
from vibes_stack.components import thanos
from vibes_stack.config import StackConfig
from vibes_stack.paths import StateLayout

from .hosts import Cluster, Host, LabSpec
from .system import ClusterError, wait_for

GROUPS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "routers": ("r1", "r2"), "ingestors": ("i1", "i2"), "queriers": ("q1",), "rulers": ("u1", "u2"),
    "alertmanagers": ("m1", "m2"),
    "reference": ("p1",),  # the single-host engine the tier must agree with: Debian's Prometheus 2.42
    "receivers": ("x1",),  # our alert receiver (vibes_observe.alert_receiver)
})
#: group → the component its hosts run, in start order (storage first, then what reads or writes it)
ROLES: Mapping[str, str] = MappingProxyType({
    "alertmanagers": "alertmanager", "ingestors": thanos.INGESTOR, "routers": thanos.ROUTER,
    "rulers": thanos.RULE, "queriers": thanos.QUERY, "receivers": "alert-receiver"})
FIGURES: dict[str, str] = {}  # measured here, printed in the terminal summary (conftest)
PROMETHEUS_PORT = 9090
READY_TIMEOUT = 90.0


def lab_spec() -> LabSpec:
    """This tier's hosts; prefix and subnet overridable so two runs on one machine never collide."""
    return LabSpec(prefix=os.environ.get("VIBES_METRICS_CLUSTER_PREFIX", "vmt"),
                   subnet=os.environ.get("VIBES_METRICS_CLUSTER_SUBNET", "10.78.0.0/24"), groups=GROUPS)


@dataclass(frozen=True)
class Node:
    """One host of the tier as its process sees it: name, address, state root."""
    name: str
    address: str
    state_dir: Path

    @property
    def layout(self) -> StateLayout:
        return StateLayout(self.state_dir)


@dataclass(frozen=True)
class Process:
    role: str  # the component (thanos-router, alertmanager, ...) or prometheus
    node: Node
    argv: tuple[str, ...]
    ready_url: str
    files: Mapping[str, str] = field(default_factory=dict)  # path → content
    dirs: tuple[str, ...] = ()
    cwd: str | None = None


def render(cluster: Cluster, cfg: StackConfig) -> list[Process]:
    """Every process of the tier, rendered by the registry's components for each host."""
    peers = {component: [h.address for h in cluster.group(group)] for group, component in ROLES.items()}
    bins = {**{c: thanos_binary() for c in (thanos.INGESTOR, thanos.ROUTER, thanos.QUERY, thanos.RULE)},
            "alertmanager": debian_binary("alertmanager")}
    registry = {c.name: c for c in components.ALL}
    processes = []
    for group, component in ROLES.items():
        if component == "alert-receiver":
            continue  # started by the test with its own --file
        for host in cluster.group(group):
            node = Node(host.name, host.address, host.state_dir)
            place = components.HostPlacement(cfg, node.layout, bins, address=host.address, peers=peers)
            spec = registry[component].spec(cfg, place)
            processes.append(Process(component, node, tuple(spec.argv), spec.health_url, spec.files,
                                     tuple(spec.dirs), spec.cwd or None))
    return processes


def rule_files(processes: list[Process]) -> dict[str, str]:
    """name → text of the rule files the rulers load (the single-host ones)."""
    ruler = next(p for p in processes if p.role == thanos.RULE)
    return {Path(path).name: text for path, text in ruler.files.items()}


def remote_write_url(cfg: StackConfig, host: Host) -> str:
    return f"http://{thanos.endpoint(cfg, thanos.ROUTER, host.address, 'remote_write')}{thanos.REMOTE_WRITE_PATH}"


# --- HTTP
def http_get(url: str, timeout: float = 10) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except (OSError, urllib.error.URLError) as exc:
        return 0, repr(exc).encode()


def api(base: str, path: str, **params: Any) -> Any:
    """``data`` of a Prometheus-API answer; ClusterError naming the URL otherwise."""
    url = f"{base}{path}?{urllib.parse.urlencode(params)}"
    status, body = http_get(url, timeout=60)
    if status != 200:
        raise ClusterError(f"GET {url}: {status} {body[:500]!r}")
    answer = json.loads(body)
    if answer.get("status") != "success":
        raise ClusterError(f"GET {url}: {answer}")
    return answer["data"]


def instant(base: str, query: str, at: float, **params: Any) -> dict[frozenset, float]:
    """An instant vector (or scalar) at ``at`` as {label set: value}."""
    data = api(base, "/api/v1/query", query=query, time=f"{at:.3f}", **params)
    if data["resultType"] == "scalar":
        return {frozenset(): float(data["result"][1])}
    return {frozenset(r["metric"].items()): float(r["value"][1]) for r in data["result"]}


# --- processes
def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ClusterError(f"pid {pid}: no VmRSS")


def listening_addresses(pid: int) -> set[str]:
    """Local IPv4/IPv6 addresses with a listening TCP socket in ``pid``'s network namespace."""
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            address, state = fields[1].split(":")[0], fields[3]
            if state != "0A":  # TCP_LISTEN
                continue
            raw = bytes.fromhex(address)
            if width == 8:
                found.add(socket.inet_ntop(socket.AF_INET, raw[::-1]))
            else:  # four little-endian 32-bit words
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, 16, 4))
                found.add(socket.inet_ntop(socket.AF_INET6, words))
    return found


@dataclass
class Started:
    process: Process
    host: Host
    popen: subprocess.Popen
    seconds_to_ready: float


@dataclass
class Tier:
    cluster: Cluster
    cfg: StackConfig
    processes: list[Process]
    running: dict[str, Started] = field(default_factory=dict)  # host name → process

    def start(self, process: Process) -> Started:
        host = self.cluster.host(process.node.name)
        for directory in process.dirs:
            Path(directory).mkdir(parents=True, exist_ok=True)
        for path, text in process.files.items():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
        began = time.monotonic()
        popen = self.cluster.spawn(host, list(process.argv), log=host.state_dir / f"{process.role}.log",
                                   cwd=process.cwd)
        def ready() -> bool:
            if popen.poll() is not None:
                raise ClusterError(f"{process.role} on {host.name} exited")
            return http_get(process.ready_url, 2)[0] == 200

        try:
            wait_for(ready, timeout=READY_TIMEOUT, interval=0.2, what=f"{process.role} on {host.name} ready")
        except ClusterError as exc:
            log = host.state_dir / f"{process.role}.log"
            raise ClusterError(f"{exc} (exit {popen.poll()})\n{log.read_text()[-3000:]}") from None
        started = Started(process, host, popen, time.monotonic() - began)
        self.running[host.name] = started
        return started

    def start_all(self) -> None:
        for process in self.processes:
            self.start(process)

    def url(self, host_name: str) -> str:
        """The HTTP API of the Thanos process on that host (query's is the Prometheus API)."""
        started = self.running[host_name]
        return f"http://{thanos.endpoint(self.cfg, started.process.role, started.host.address, 'http')}"


def thanos_binary() -> str:
    return str(binaries.module_tree_binary("thanos"))


def debian_binary(component: str) -> str:
    path, source = binaries.find(component)
    if path is None:
        raise ClusterError(f"{component}: not found ({source}); `make up` installs the Debian package")
    return path


def reference_prometheus(host: Host, cfg: StackConfig, rule_files: Mapping[str, str]) -> Process:
    """Debian's Prometheus 2.42 as the single-host stack runs it, fed by remote write instead of
    scrapes, evaluating the same rule files at the same intervals."""
    layout = StateLayout(host.state_dir)
    rules_dir = layout.config / "prometheus" / "rules"
    config = layout.config / "prometheus" / "prometheus.yml"
    data = layout.data / "prometheus"
    text = json.dumps({"global": {"evaluation_interval": cfg.intervals.evaluation},
                       "rule_files": [f"{rules_dir}/*.yml"]})  # JSON is YAML
    files = {str(config): text, **{str(rules_dir / name): body for name, body in rule_files.items()}}
    argv = (debian_binary("prometheus"), f"--config.file={config}", f"--storage.tsdb.path={data}",
            f"--web.listen-address={host.address}:{PROMETHEUS_PORT}", "--web.enable-remote-write-receiver")
    return Process("prometheus", Node(host.name, host.address, host.state_dir), argv,
                   f"http://{host.address}:{PROMETHEUS_PORT}/-/ready",
                           files, (str(data), str(rules_dir)))


def alert_receiver(host: Host, cfg: StackConfig, python: str) -> Process:
    out = host.state_dir / "alerts.jsonl"
    port = cfg.ports.alert_receiver
    argv = (python, "-m", "vibes_observe.alert_receiver", "--listen", f"{host.address}:{port}", "--file", str(out))
    return Process("alert-receiver", Node(host.name, host.address, host.state_dir), argv,
                   f"http://{host.address}:{port}/healthz")

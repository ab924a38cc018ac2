"""Faults for the multi-host tests, each reversible and each a context manager that undoes itself.

Processes are found inside one host only (by nsfs inode of their network namespace), by pid file
or by a regular expression over their command line. Partitions are nftables tables in the
isolated host's namespace dropping both directions; bandwidth limits are `tc tbf` (this kernel has
no netem). Undo runs even when the body raised.
"""
from __future__ import annotations

import itertools
import os
import re
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

from .hosts import HOST_IFNAME, Cluster, Host
from .system import ClusterError, alive, cmdline, kill_and_wait, pids_in_netns, run

_table_ids = itertools.count(1)


# --- processes
def host_pids(host: Host, *, pid_file: Path | None = None, pattern: str | None = None) -> list[int]:
    """Pids inside ``host`` named by ``pid_file`` or whose command line matches ``pattern``; never empty."""
    if (pid_file is None) == (pattern is None):
        raise ValueError("name the process by exactly one of pid_file or pattern")
    inside = pids_in_netns(host.netns)
    if pid_file is not None:
        pid = int(Path(pid_file).read_text().strip())
        found = [pid] if pid in inside else []
    else:
        regex = re.compile(pattern)
        found = [pid for pid in inside if regex.search(" ".join(cmdline(pid)))]
    if not found:
        raise ClusterError(f"no process in {host.name} matches {pid_file or pattern!r}")
    return found


def kill(host: Host, **which) -> list[int]:
    """SIGKILL the matching processes of ``host`` (kwargs as `host_pids`) and wait until they are gone."""
    pids = host_pids(host, **which)
    kill_and_wait(pids)
    return pids


def send(host: Host, sig: signal.Signals, **which) -> list[int]:
    pids = host_pids(host, **which)
    for pid in pids:
        os.kill(pid, sig)
    return pids


@contextmanager
def paused(host: Host, **which) -> Iterator[list[int]]:
    """SIGSTOP the matching processes (a hung, not a dead, server); SIGCONT on exit."""
    pids = send(host, signal.SIGSTOP, **which)
    try:
        yield pids
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGCONT)


# --- network
def _partition_ruleset(table: str, peers: list[str]) -> str:
    elements = ", ".join(peers)
    return f"""table inet {table} {{
  set peers {{ type ipv4_addr; elements = {{ {elements} }} }}
  chain input {{ type filter hook input priority 0; policy accept; ip saddr @peers drop; }}
  chain output {{ type filter hook output priority 0; policy accept; ip daddr @peers drop; }}
}}
"""


@contextmanager
def partitioned(cluster: Cluster, host: Host, peers: Iterable[Host]) -> Iterator[None]:
    """Nothing passes between ``host`` and ``peers`` (either direction) until exit; others unaffected."""
    addresses = [peer.address for peer in peers]
    if not addresses:
        raise ValueError("partition from at least one peer")
    table = f"vibes_partition_{next(_table_ids)}"
    cluster.run(host, ["nft", "-f", "-"], input=_partition_ruleset(table, addresses))
    try:
        yield
    finally:
        cluster.run(host, ["nft", "delete", "table", "inet", table])


@contextmanager
def link_down(host: Host) -> Iterator[None]:
    """``host`` loses its link (the bridge end of its veth goes down) until exit."""
    run(["ip", "link", "set", host.veth, "down"])
    try:
        yield
    finally:
        run(["ip", "link", "set", host.veth, "up"])


@contextmanager
def rate_limited(cluster: Cluster, host: Host, *, rate: str, burst: str = "32kbit",
                 latency: str = "400ms") -> Iterator[None]:
    """Token-bucket limit on ``host``'s traffic both ways: its eth0 egress and the bridge end's egress."""
    tbf = ["root", "tbf", "rate", rate, "burst", burst, "latency", latency]
    cluster.run(host, ["tc", "qdisc", "replace", "dev", HOST_IFNAME, *tbf])
    try:
        run(["tc", "qdisc", "replace", "dev", host.veth, *tbf])
        try:
            yield
        finally:
            run(["tc", "qdisc", "del", "dev", host.veth, "root"])
    finally:
        cluster.run(host, ["tc", "qdisc", "del", "dev", HOST_IFNAME, "root"])

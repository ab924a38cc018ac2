"""Bounded calls into the system tools the namespace hosts are made of (ip, nft, tc, ssh-keygen).

Every call has a timeout and a failure names the command and its stderr. Machine-readable
output only: `ip -j` JSON, /proc and /run/netns as files.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
NETNS_DIR = Path("/run/netns")  # where `ip netns add` pins a namespace


class ClusterError(RuntimeError):
    """A namespace-host operation failed; the message names the command and what it said."""


def run(argv: list[str], *, input: str | None = None, timeout: float = 30) -> str:
    """Run ``argv``, return its stdout; raise ClusterError naming the command on any failure."""
    try:
        done = subprocess.run(argv, input=input, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PATH": SBIN_PATH})
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ClusterError(f"{' '.join(argv)}: {exc}") from exc
    if done.returncode != 0:
        raise ClusterError(f"{' '.join(argv)} exited {done.returncode}: {done.stderr.strip()}")
    return done.stdout


def ip_json(*args: str, netns: str | None = None) -> list[dict[str, Any]]:
    """`ip -j ARGS` (in ``netns`` when given) as parsed JSON."""
    prefix = ["ip", "-n", netns] if netns else ["ip"]
    out = run([*prefix, "-j", *args])
    return json.loads(out) if out.strip() else []


def in_netns(netns: str, argv: list[str]) -> list[str]:
    """``argv`` prefixed to run inside ``netns`` (with its /etc/netns/<netns> files over /etc)."""
    return ["ip", "netns", "exec", netns, *argv]


def netns_names() -> list[str]:
    return sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []


def _netns_identity(path: str | Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:  # the process exited, or the namespace is gone
        return None
    return st.st_dev, st.st_ino


def pids_in_netns(netns: str) -> list[int]:
    """Every process whose network namespace is ``netns`` (compared by nsfs inode, not by name)."""
    target = _netns_identity(NETNS_DIR / netns)
    if target is None:
        return []
    return [pid for pid in _all_pids() if _netns_identity(f"/proc/{pid}/ns/net") == target]


def _all_pids() -> Iterator[int]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            yield int(entry.name)


def cmdline(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def kill_and_wait(pids: list[int], *, timeout: float = 10) -> None:
    """SIGKILL ``pids`` and wait (bounded) until they are gone; reap the ones that are our children."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    remaining = list(pids)
    while remaining and time.monotonic() < deadline:
        for pid in remaining:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:  # not our child: init reaps it
                pass
        remaining = [pid for pid in remaining if alive(pid)]
        if remaining:
            time.sleep(0.05)
    if remaining:
        raise ClusterError(f"processes survived SIGKILL for {timeout}s: {remaining}")


def wait_for(predicate, *, timeout: float, interval: float = 0.05, what: str) -> None:
    """Poll ``predicate`` until true; ClusterError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() >= deadline:
            raise ClusterError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)

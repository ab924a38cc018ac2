"""Namespace hosts for the multi-host tests (issue 11): `with Cluster(LabSpec()) as cluster: ...`.

Each host is a network namespace `<prefix>-<name>` holding `eth0` (a veth whose root end is
enslaved to the bridge `<prefix>-br`, which holds the subnet's first address so the test process
reaches every host), loopback up, its own UTS name, private /etc/hostname, /etc/hosts and /etc/passwd
(`ip netns exec` binds /etc/netns/<ns>/* over /etc), and its own sshd on its address. Hosts have no
default route: traffic stays on the subnet.

Root's login shell on a host is /bin/sh, as on a minimal server: sshd runs every command through the
login shell, and this machine's root bash sources a ~/.bashrc that runs `pyenv init` (~0.2 s per
command, and a pyinfra pass is hundreds of commands per host). Deploys use absolute paths only.

One teardown path, driven by the prefix rather than by memory: it runs before start (removing a
crashed run's leftovers) and on exit, even when the body raised. A lock per prefix keeps a second
live run from tearing down the first one.
"""
from __future__ import annotations

import fcntl
import ipaddress
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import IO, Mapping, Sequence

from . import sshd, tcp_probe
from .system import ClusterError, SBIN_PATH, alive, cmdline, in_netns, ip_json, kill_and_wait, netns_names
from .system import pids_in_netns, run, wait_for

CONTROL_ROOT = Path("/run/vibes-cluster")  # keys, sshd configs, pid files, logs, locks
STATE_ROOT = Path("/tmp/vibes-cluster")  # per-host deploy state roots (hosts share one filesystem)
ETC_NETNS = Path("/etc/netns")
FIRST_HOST_INDEX = 10  # hosts get .10, .11, ...; .1 is the bridge
SSHD_READY_TIMEOUT = 20.0
HOST_IFNAME = "eth0"  # the host's end of its veth, inside its namespace
HOST_ROOT_SHELL = "/bin/sh"

DEFAULT_GROUPS: Mapping[str, Sequence[str]] = MappingProxyType({
    "agents": ("a1", "a2", "a3"),
    "gateways": ("g1", "g2"),
    "storage": ("s1", "s2"),
})

# Interface names are at most 15 bytes: "<prefix>-<host>" must fit, and "br" names the bridge.
PREFIX_RE = re.compile(r"^[a-z]{2,5}$")
HOST_RE = re.compile(r"^[a-z][a-z0-9]{0,8}$")
BRIDGE_SUFFIX = "br"


@dataclass(frozen=True)
class LabSpec:
    prefix: str = "vobs"
    subnet: str = "10.77.0.0/24"
    groups: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_GROUPS)

    def validate(self) -> None:
        if not PREFIX_RE.match(self.prefix):
            raise ClusterError(f"prefix {self.prefix!r}: 2-5 lowercase letters")
        names = [name for members in self.groups.values() for name in members]
        for group, members in self.groups.items():
            for name in members:
                if not HOST_RE.match(name) or name == BRIDGE_SUFFIX:
                    raise ClusterError(f"groups.{group}: host name {name!r} must match {HOST_RE.pattern}"
                                       f" and not be {BRIDGE_SUFFIX!r}")
        duplicated = sorted({name for name in names if names.count(name) > 1})
        if duplicated:
            raise ClusterError(f"groups: host names in more than one group: {duplicated}")
        network = ipaddress.ip_network(self.subnet)
        if not network.is_private or network.num_addresses < FIRST_HOST_INDEX + len(names) + 1:
            raise ClusterError(f"subnet {self.subnet}: must be private with room for {len(names)} hosts")

    @property
    def bridge(self) -> str:
        return f"{self.prefix}-{BRIDGE_SUFFIX}"

    @property
    def control_dir(self) -> Path:
        return CONTROL_ROOT / self.prefix

    @property
    def state_root(self) -> Path:
        return STATE_ROOT / self.prefix

    def owns_link(self, ifname: str) -> bool:
        return ifname.startswith(f"{self.prefix}-")

    def owns_netns(self, name: str) -> bool:
        return name.startswith(f"{self.prefix}-")


@dataclass(frozen=True)
class Host:
    name: str
    group: str
    address: str
    netns: str
    veth: str  # the root-namespace end, on the bridge; inside the host it is eth0
    state_dir: Path  # this host's deploy state root
    sshd: sshd.SshdFiles


class Cluster:
    """The hosts of one LabSpec, up between __enter__ and __exit__."""

    def __init__(self, spec: LabSpec | None = None):
        self.spec = spec or LabSpec()
        self.spec.validate()
        network = ipaddress.ip_network(self.spec.subnet)
        self.prefixlen = network.prefixlen
        self.bridge_address = str(network.network_address + 1)
        self.hosts: dict[str, Host] = {}
        index = FIRST_HOST_INDEX
        for group, members in self.spec.groups.items():
            for name in members:
                netns = f"{self.spec.prefix}-{name}"
                self.hosts[name] = Host(
                    name=name, group=group, address=str(network.network_address + index), netns=netns,
                    veth=netns, state_dir=self.spec.state_root / name,
                    sshd=sshd.files_in(self.spec.control_dir / "hosts" / name))
                index += 1
        self.client: sshd.ClientKeys | None = None
        self._lock: IO[str] | None = None
        self._children: list[subprocess.Popen] = []

    # --- lookups
    def host(self, name: str) -> Host:
        try:
            return self.hosts[name]
        except KeyError:
            raise ClusterError(f"no host {name!r}; hosts: {sorted(self.hosts)}") from None

    def group(self, group: str) -> list[Host]:
        if group not in self.spec.groups:
            raise ClusterError(f"no group {group!r}; groups: {sorted(self.spec.groups)}")
        return [self.hosts[name] for name in self.spec.groups[group]]

    # --- running things in a host
    def run(self, host: Host, argv: list[str], *, input: str | None = None, timeout: float = 30) -> str:
        """Run ``argv`` inside ``host``'s netns (with its /etc files); its stdout, or ClusterError.

        As root from outside: the UTS name stays the machine's; sessions over SSH see the host's.
        """
        return run(in_netns(host.netns, argv), input=input, timeout=timeout)

    def spawn(self, host: Host, argv: list[str], *, log: Path, cwd: str | None = None) -> subprocess.Popen:
        """Start a long-running ``argv`` inside ``host``; teardown kills it at the latest."""
        with log.open("ab") as out:
            child = subprocess.Popen(in_netns(host.netns, argv), stdin=subprocess.DEVNULL, stdout=out,
                                     stderr=subprocess.STDOUT, env={"PATH": SBIN_PATH}, cwd=cwd)
        self._children.append(child)
        return child

    # --- lifecycle
    def __enter__(self) -> "Cluster":
        self._take_lock()
        try:
            remove_everything(self.spec)
            self._check_subnet_free()
            self._build()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc_info) -> None:
        try:
            for child in self._children:
                if child.poll() is None:
                    child.kill()
                    child.wait(timeout=10)
            self._children.clear()
            remove_everything(self.spec)
        finally:
            self._release_lock()

    def _take_lock(self) -> None:
        CONTROL_ROOT.mkdir(mode=0o755, parents=True, exist_ok=True)
        self._lock = (CONTROL_ROOT / f"{self.spec.prefix}.lock").open("w")
        try:  # released by the kernel when this process dies, so a crashed run never blocks the next
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._release_lock()
            raise ClusterError(f"another live cluster run holds {CONTROL_ROOT / self.spec.prefix}.lock; "
                               f"pick another LabSpec prefix and subnet") from None

    def _release_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _check_subnet_free(self) -> None:
        ours = ipaddress.ip_network(self.spec.subnet)
        for link in ip_json("addr", "show"):
            for addr in link.get("addr_info", []):
                if addr.get("family") == "inet" and ipaddress.ip_address(addr["local"]) in ours:
                    raise ClusterError(f"subnet {ours} already used by {link['ifname']} ({addr['local']})")
        for route in ip_json("-4", "route", "show", "table", "all"):
            dst = route.get("dst", "")
            if dst and dst != "default" and ipaddress.ip_network(dst, strict=False).overlaps(ours):
                raise ClusterError(f"subnet {ours} overlaps the route to {dst} on {route.get('dev')}")

    def _build(self) -> None:
        self.spec.control_dir.mkdir(mode=0o700)
        self.client = sshd.make_client_keys(self.spec.control_dir)
        bridge = self.spec.bridge
        run(["ip", "link", "add", bridge, "type", "bridge"])
        run(["ip", "addr", "add", f"{self.bridge_address}/{self.prefixlen}", "dev", bridge])
        run(["ip", "link", "set", bridge, "up"])
        for host in self.hosts.values():
            self._build_host(host)
        for host in self.hosts.values():
            self._wait_sshd(host)

    def _etc_hosts(self) -> str:
        lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
        lines += [f"{h.address} {h.name}" for h in self.hosts.values()]
        return "\n".join(lines) + "\n"

    def _build_host(self, host: Host) -> None:
        run(["ip", "netns", "add", host.netns])
        etc = ETC_NETNS / host.netns
        etc.mkdir(parents=True)
        (etc / "hostname").write_text(host.name + "\n")
        (etc / "hosts").write_text(self._etc_hosts())
        (etc / "passwd").write_text(with_root_shell(Path("/etc/passwd").read_text(), HOST_ROOT_SHELL))
        run(["ip", "link", "add", host.veth, "type", "veth", "peer", "name", HOST_IFNAME, "netns", host.netns])
        run(["ip", "link", "set", host.veth, "master", self.spec.bridge])
        run(["ip", "link", "set", host.veth, "up"])
        run(["ip", "-n", host.netns, "link", "set", "lo", "up"])
        run(["ip", "-n", host.netns, "addr", "add", f"{host.address}/{self.prefixlen}", "dev", HOST_IFNAME])
        run(["ip", "-n", host.netns, "link", "set", HOST_IFNAME, "up"])
        host.state_dir.mkdir(parents=True)
        assert self.client is not None
        sshd.prepare_sshd(host.sshd, name=host.name, address=host.address, client=self.client)
        # its own UTS namespace, so `uname -n` (pyinfra's Hostname fact) names the host
        self.spawn(host, ["unshare", "--uts", "--", "sh", "-c", 'hostname "$0" && exec "$@"', host.name,
                          *sshd.sshd_argv(host.sshd)], log=host.sshd.log)

    def _wait_sshd(self, host: Host) -> None:
        def answers() -> bool:
            return tcp_probe.first_line(host.address, sshd.SSH_PORT, 1.0)[0] == tcp_probe.ANSWERED

        try:
            wait_for(answers, timeout=SSHD_READY_TIMEOUT, interval=0.1, what=f"sshd of {host.name}")
        except ClusterError as exc:
            log = host.sshd.log.read_text() if host.sshd.log.exists() else "(no log)"
            raise ClusterError(f"{exc}\n--- {host.sshd.log}:\n{log}") from None


def with_root_shell(passwd: str, shell: str) -> str:
    """``passwd`` (the /etc/passwd format) with root's login shell replaced by ``shell``."""
    lines = []
    for line in passwd.splitlines():
        fields = line.split(":")
        if fields[0] == "root" and len(fields) == 7:
            fields[6] = shell
        lines.append(":".join(fields))
    return "\n".join(lines) + "\n"


def remove_everything(spec: LabSpec) -> None:
    """Everything a run with ``spec.prefix`` can leave behind, found by name, removed; errors collected."""
    errors: list[str] = []

    def attempt(what: str, action) -> None:
        try:
            action()
        except (ClusterError, OSError) as exc:
            errors.append(f"{what}: {exc}")

    # sshds whose namespace was already deleted are found by their pid files
    for pid_file in spec.control_dir.glob("hosts/*/sshd.pid"):
        attempt(str(pid_file), lambda pid_file=pid_file: _kill_sshd_by_pid_file(pid_file))
    for netns in filter(spec.owns_netns, netns_names()):
        attempt(f"processes in {netns}", lambda netns=netns: kill_and_wait(pids_in_netns(netns)))
    # links before namespaces: a deleted namespace takes its veth peers away asynchronously
    for link in ip_json("link", "show"):
        if spec.owns_link(link["ifname"]):
            attempt(f"link {link['ifname']}", lambda name=link["ifname"]: run(["ip", "link", "del", name]))
    for netns in filter(spec.owns_netns, netns_names()):
        attempt(f"netns {netns}", lambda netns=netns: run(["ip", "netns", "del", netns]))
    if ETC_NETNS.is_dir():
        for etc in ETC_NETNS.iterdir():
            if spec.owns_netns(etc.name):
                attempt(str(etc), lambda etc=etc: shutil.rmtree(etc))
    for directory in (spec.control_dir, spec.state_root):
        if directory.exists():
            attempt(str(directory), lambda directory=directory: shutil.rmtree(directory))
    if errors:
        raise ClusterError("teardown incomplete:\n  " + "\n  ".join(errors))


def _kill_sshd_by_pid_file(pid_file: Path) -> None:
    pid = int(pid_file.read_text().strip() or 0)
    config = str(pid_file.parent / "sshd_config")
    if pid and alive(pid) and config in cmdline(pid):  # the pid may have been reused by now
        kill_and_wait([pid])

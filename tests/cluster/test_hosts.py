"""Namespace hosts reachable over SSH by the real pyinfra, and the faults the multi-host tests inject."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from pyinfra.api import Config, State
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.facts import get_facts
from pyinfra.facts.server import Hostname

from . import faults, tcp_probe
from .hosts import CONTROL_ROOT, ETC_NETNS, HOST_ROOT_SHELL, Cluster, Host, LabSpec
from .inventory import STATE_DIR_KEY, pyinfra_inventory
from .sshd import SSH_PORT
from .system import NETNS_DIR, ClusterError, alive, cmdline, ip_json, netns_names, pids_in_netns, wait_for

PROBE_DEPLOY = Path(__file__).parent / "deploys" / "probe.py"
PROBE_SCRIPT = Path(__file__).parent / "tcp_probe.py"
PYINFRA_TIMEOUT = 180
PROBE_TIMEOUT = 2.0


def pyinfra(inventory: Path, *args: str, cwd: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pyinfra", "-y", str(inventory), *args],
                          capture_output=True, text=True, timeout=PYINFRA_TIMEOUT, cwd=cwd)
    assert done.returncode == 0, f"pyinfra {args} failed:\n{done.stdout}\n{done.stderr}"


def probe_dir(host: Host, tag: str) -> Path:
    return host.state_dir / f"probe-{tag}"


def reach(cluster: Cluster, source: Host, target: Host) -> int:
    """tcp_probe's outcome for source → target's sshd, probed from inside ``source``."""
    done = subprocess.run(
        ["ip", "netns", "exec", source.netns, sys.executable, str(PROBE_SCRIPT), target.address, str(SSH_PORT),
         str(PROBE_TIMEOUT)], capture_output=True, timeout=PROBE_TIMEOUT * 3 + 10)
    return done.returncode


def test_pyinfra_reaches_every_host_over_ssh(cluster: Cluster, inventory_file: Path, tmp_path: Path):
    pyinfra(inventory_file, str(PROBE_DEPLOY), "--data", "probe_tag=all", cwd=tmp_path)

    for host in cluster.hosts.values():
        out = probe_dir(host, "all")
        # the shell really ran in this host's network namespace, with its own name and address
        assert int((out / "netns_inode").read_text()) == os.stat(NETNS_DIR / host.netns).st_ino
        assert (out / "uname").read_text().strip() == host.name
        addresses = [a["local"] for link in json.loads((out / "addr.json").read_text()) for a in link["addr_info"]]
        assert addresses == [host.address]
        assert (out / "login_shell").read_text().strip() == HOST_ROOT_SHELL
        facts = json.loads((out / "facts.json").read_text())
        assert (facts["hostname"], facts["inventory_name"]) == (host.name, host.name)
        # pyinfra adds a group named after the inventory file; of ours, the host is in its own only
        assert set(facts["groups"]) & set(cluster.spec.groups) == {host.group}


def test_limit_one_group_touches_only_that_group(cluster: Cluster, inventory_file: Path, tmp_path: Path):
    pyinfra(inventory_file, str(PROBE_DEPLOY), "--data", "probe_tag=limited", "--limit", "gateways", cwd=tmp_path)

    touched = {host.name for host in cluster.hosts.values() if probe_dir(host, "limited").exists()}
    assert touched == {host.name for host in cluster.group("gateways")}


def test_in_process_inventory_gets_facts_with_per_host_state_roots(cluster: Cluster):
    inventory = pyinfra_inventory(cluster)
    state = State(inventory, Config())
    connect_all(state)
    try:
        hostnames = {host.name: fact for host, fact in get_facts(state, Hostname).items()}
    finally:
        disconnect_all(state)
    assert hostnames == {name: name for name in cluster.hosts}
    state_roots = [inventory.get_host(name).data.get(STATE_DIR_KEY) for name in cluster.hosts]
    assert len(set(state_roots)) == len(cluster.hosts)
    assert {group: sorted(h.name for h in hosts) for group, hosts in inventory.groups.items()} \
        == {group: sorted(members) for group, members in cluster.spec.groups.items()}


def test_partition_blocks_tcp_both_ways_and_heals(cluster: Cluster):
    a1, a2, g1, g2 = (cluster.host(name) for name in ("a1", "a2", "g1", "g2"))
    assert reach(cluster, a1, g1) == tcp_probe.ANSWERED

    with faults.partitioned(cluster, a1, cluster.group("gateways")):
        assert reach(cluster, a1, g1) == tcp_probe.NO_CONNECTION
        assert reach(cluster, a1, g2) == tcp_probe.NO_CONNECTION
        assert reach(cluster, g1, a1) == tcp_probe.NO_CONNECTION
        assert reach(cluster, a2, g1) == tcp_probe.ANSWERED  # only a1 is cut off
        assert reach(cluster, a1, a2) == tcp_probe.ANSWERED

    assert reach(cluster, a1, g1) == tcp_probe.ANSWERED
    assert reach(cluster, g1, a1) == tcp_probe.ANSWERED


def test_paused_server_accepts_but_never_answers_then_resumes(cluster: Cluster):
    g1 = cluster.host("g1")
    with faults.paused(g1, pid_file=g1.sshd.pid_file) as pids:
        # the kernel still completes the handshake: a hung server, not a dead one
        assert tcp_probe.first_line(g1.address, SSH_PORT, PROBE_TIMEOUT)[0] == tcp_probe.CONNECTED_SILENT
    assert all(alive(pid) for pid in pids)
    assert tcp_probe.first_line(g1.address, SSH_PORT, PROBE_TIMEOUT * 5)[0] == tcp_probe.ANSWERED


def test_kill_by_pattern_stays_inside_one_host(cluster: Cluster, tmp_path: Path):
    s1, s2 = cluster.group("storage")
    # bounded: these sleepers end by themselves if the test dies before killing them
    marker = "sleep 127"
    for host in (s1, s2):
        cluster.spawn(host, marker.split(), log=tmp_path / f"{host.name}.log")
    for host in (s1, s2):  # `ip netns exec` becomes the sleeper once it has entered the namespace
        wait_for(lambda host=host: [pid for pid in pids_in_netns(host.netns) if cmdline(pid) == marker.split()],
                 timeout=10, what=f"the sleeper in {host.name}")
        assert len(faults.host_pids(host, pattern=rf"^{marker}$")) == 1

    killed = faults.kill(s1, pattern=rf"^{marker}$")

    assert not any(alive(pid) for pid in killed)
    assert len(faults.host_pids(s2, pattern=rf"^{marker}$")) == 1
    faults.kill(s2, pattern=rf"^{marker}$")


def test_link_down_cuts_the_host_off_until_up(cluster: Cluster):
    a3 = cluster.host("a3")
    with faults.link_down(a3):
        assert tcp_probe.first_line(a3.address, SSH_PORT, PROBE_TIMEOUT)[0] == tcp_probe.NO_CONNECTION
    # the carrier comes back asynchronously: wait (bounded) for sshd to answer again
    wait_for(lambda: tcp_probe.first_line(a3.address, SSH_PORT, PROBE_TIMEOUT)[0] == tcp_probe.ANSWERED,
             timeout=20, interval=0.2, what="a3's sshd after link up")

def _tbf_stats(cluster: Cluster, host: Host) -> list[dict]:
    qdiscs = json.loads(cluster.run(host, ["tc", "-s", "-j", "qdisc", "show", "dev", "eth0"]))
    return [q for q in qdiscs if q["kind"] == "tbf"]


def test_rate_limit_throttles_with_tbf_and_is_removed(cluster: Cluster):
    a2 = cluster.host("a2")
    payload = 512 * 1024
    received = []
    with socket.create_server((cluster.bridge_address, 0)) as server:
        server.settimeout(30)
        port = server.getsockname()[1]

        def drain():
            conn, _ = server.accept()
            with conn:
                conn.settimeout(30)
                total = 0
                while chunk := conn.recv(65536):
                    total += len(chunk)
                received.append(total)

        reader = threading.Thread(target=drain, daemon=True)
        reader.start()
        with faults.rate_limited(cluster, a2, rate="8mbit"):
            before = _tbf_stats(cluster, a2)
            assert len(before) == 1
            send = (f"import socket; s = socket.create_connection(({cluster.bridge_address!r}, {port}), timeout=30);"
                    f" s.sendall(b'x' * {payload}); s.close()")
            cluster.run(a2, [sys.executable, "-c", send], timeout=60)
            reader.join(timeout=60)
            after = _tbf_stats(cluster, a2)
    assert received == [payload]
    # the bucket ran dry and held packets back: the limit acted on the transfer
    assert after[0]["overlimits"] > before[0]["overlimits"]
    assert _tbf_stats(cluster, a2) == []


# --- lifecycle: a lab of its own (another prefix and subnet), so the session cluster is untouched
SMALL = LabSpec(prefix="vobt", subnet="10.77.1.0/24", groups={"agents": ("a1",), "gateways": ("g1",)})


def _traces(spec: LabSpec) -> dict[str, list]:
    return {
        "netns": [name for name in netns_names() if spec.owns_netns(name)],
        "links": [link["ifname"] for link in ip_json("link", "show") if spec.owns_link(link["ifname"])],
        "etc": [p.name for p in ETC_NETNS.glob(f"{spec.prefix}-*")],
        "dirs": [str(p) for p in (spec.control_dir, spec.state_root) if p.exists()],
    }


NOTHING_LEFT = {"netns": [], "links": [], "etc": [], "dirs": []}


def test_teardown_leaves_nothing_even_when_the_body_raises():
    with pytest.raises(RuntimeError, match="boom"):
        with Cluster(SMALL) as small:
            sshd_pids = [int(h.sshd.pid_file.read_text()) for h in small.hosts.values()]
            with faults.partitioned(small, small.host("a1"), [small.host("g1")]):
                raise RuntimeError("boom")
    assert _traces(SMALL) == NOTHING_LEFT
    assert not any(alive(pid) for pid in sshd_pids)


def test_a_crashed_runs_leftovers_are_removed_at_start():
    crash = (
        "import json, os, signal\n"
        "from cluster.hosts import Cluster, LabSpec\n"
        f"c = Cluster(LabSpec(prefix={SMALL.prefix!r}, subnet={SMALL.subnet!r}, groups={dict(SMALL.groups)!r}))\n"
        "c.__enter__()\n"
        "print(json.dumps([int(h.sshd.pid_file.read_text()) for h in c.hosts.values()]), flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    done = subprocess.run([sys.executable, "-c", crash], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).parents[1])
    assert done.returncode == -signal.SIGKILL, done.stderr
    crashed_sshds = json.loads(done.stdout)
    assert all(alive(pid) for pid in crashed_sshds) and _traces(SMALL)["netns"]  # it did leave things behind

    with Cluster(SMALL) as again:
        assert not any(alive(pid) for pid in crashed_sshds)
        assert tcp_probe.first_line(again.host("a1").address, SSH_PORT, PROBE_TIMEOUT)[0] == tcp_probe.ANSWERED
    assert _traces(SMALL) == NOTHING_LEFT


def test_a_second_live_run_with_the_same_prefix_is_refused(cluster: Cluster):
    with pytest.raises(ClusterError, match=rf"another live cluster run holds .*{re.escape(cluster.spec.prefix)}\.lock"):
        with Cluster(LabSpec(prefix=cluster.spec.prefix, subnet=cluster.spec.subnet)):
            pass
    # the refused run touched nothing of the live one
    assert all(pids_in_netns(h.netns) for h in cluster.hosts.values())
    assert (CONTROL_ROOT / cluster.spec.prefix).is_dir()

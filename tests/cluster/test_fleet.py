"""`make up INVENTORY=…` for a fleet: the real pyinfra deploys the example topology's groups over SSH to
namespace hosts (stack/group_data/<group>.py places the components), then re-runs, plans, limits
and rolls a restart. Everything is read back as data: per-host, per-operation results and the
components' own APIs at their hosts' addresses."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from vibes_stack import binaries, config, deploy, fleet, paths, pyinfra_run, supervisor

from . import tier_load
from .hosts import Cluster
from .inventory import write_inventory
from .system import pids_in_netns, wait_for

# the example inventory's groups (stack/inventories/cluster_example.py) over the harness' hosts;
# s1 is both the metrics and the alerting host (a host in two groups runs the union)
FLEET_GROUPS = {"agents": ("a1", "a2"), "gateways": ("g1", "g2"), "metrics": ("s1",), "traces": ("s2",),
                "alerting": ("s1",)}
SPAN_TIMEOUT = 60


def _prepare(inventory: Path, user: dict[str, Any] | None = None) -> fleet.Fleet:
    cfg = config.build(user or {})
    bins = binaries.resolve_all(cfg.binaries.explicit(), install=False, out=lambda _line: None)
    return fleet.prepare(cfg, pyinfra_run.load_inventory(inventory), bins)


def _apply(fl: fleet.Fleet, inventory: Path, *, dry: bool = False, limit: tuple[str, ...] = (),
           serial: bool = False) -> fleet.FleetResult:
    result = fleet.apply(fl, targets=pyinfra_run.Targets(inventory=inventory, limit=limit, serial=serial), dry=dry)
    assert result.run.success, deploy.failure_text(result.run)
    return result


@pytest.fixture(scope="module")
def inventory(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_inventory(cluster, tmp_path_factory.mktemp("fleet") / "fleet_inventory.py", FLEET_GROUPS)


@pytest.fixture(scope="module")
def deployed(inventory: Path) -> Iterator[fleet.Fleet]:
    fl = _prepare(inventory)
    first = _apply(fl, inventory)
    assert {h.name for h in first.run.hosts} == {n for names in FLEET_GROUPS.values() for n in names}
    try:
        yield fl
    finally:
        fleet.apply(fl, "down", targets=pyinfra_run.Targets(inventory=inventory))


def test_every_component_on_every_host_is_healthy_at_its_address(cluster: Cluster, inventory: Path,
                                                                  deployed: fleet.Fleet):
    group_data = pyinfra_run.load_inventory(inventory).get_group_data
    placed = {name: set(plan.components) for name, plan in deployed.plans.items()}
    for name, plan in deployed.plans.items():
        host = cluster.host(name)
        wanted = set().union(*(group_data(g)[fleet.COMPONENTS_KEY] for g, members in FLEET_GROUPS.items()
                               if name in members))
        assert placed[name] == wanted
        for spec in plan.ordered():
            assert spec.health_url.startswith(f"http://{host.address}:"), spec.health_url
            assert supervisor.healthy(spec.health_url), f"{name}/{spec.name}"
            # the process runs inside that host (its network namespace), not on the deploying machine
            pid = supervisor.read_pid(paths.StateLayout(plan.state_dir).run, spec.name)
            assert pid in pids_in_netns(host.netns), f"{name}/{spec.name}"


def test_a_span_sent_to_an_agent_reaches_jaeger_on_the_traces_host(cluster: Cluster, deployed: fleet.Fleet):
    agent, traces = cluster.host(FLEET_GROUPS["agents"][0]), cluster.host(FLEET_GROUPS["traces"][0])
    ports = deployed.cfg.ports
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    # from inside the agent host: its agent collector takes OTLP on 127.0.0.1 only (the host's SDKs)
    cluster.run(agent, [sys.executable, str(Path(tier_load.__file__)), "--endpoint",
                        f"http://127.0.0.1:{ports.collector_otlp_http}", "--service", "fleet-test",
                        "--span", trace_id, span_id, "-"], timeout=60)

    def stored() -> bool:
        url = f"http://{traces.address}:{ports.jaeger_query}/api/traces/{trace_id}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data = json.load(answer)["data"]
        except OSError:  # 404 until it is stored
            return False
        return [s["spanID"] for s in data[0]["spans"]] == [span_id]

    wait_for(stored, timeout=SPAN_TIMEOUT, interval=1.0, what=f"trace {trace_id} in Jaeger on {traces.name}")


def test_a_second_up_changes_nothing_and_plan_says_so(inventory: Path, deployed: fleet.Fleet):
    again = _apply(deployed, inventory)
    assert again.nothing_changed, again.changed
    assert _apply(deployed, inventory, dry=True).run.planned() == []
    # `make plan INVENTORY=…`: the CLI over the same inventory
    done = subprocess.run([sys.executable, "-m", "vibes_stack", "--mode", "native", "--inventory", str(inventory),
                           "plan"], capture_output=True, text=True, timeout=300, cwd=paths.REPO_ROOT,
                          env={**os.environ, "VIBES_HOME": str(inventory.parent / "unused-local-state")})
    assert done.returncode == 0, done.stderr
    assert "no changes" in done.stdout


#: the collector of each host: the agent or gateway tier (stack/group_data/agents.py, gateways.py)
COLLECTORS = ("collector", "collector-agent", "collector-gateway")


def _collector_of(fl: fleet.Fleet, name: str) -> str:
    (found,) = [c for c in COLLECTORS if c in fl.plans[name].components]
    return found


def _collector_changes(fl: fleet.Fleet, hosts: list[str]) -> set[tuple[str, str]]:
    """The operations a collector config change touches on ``hosts``: its config file, its process spec
    (its config hash) and its restart."""
    out = set()
    for name in hosts:
        component = _collector_of(fl, name)
        spec = fl.plans[name].components[component]
        out |= {(name, f"{component}: {path}") for path in spec.files}
        out |= {(name, f"{component}: process spec"), (name, f"{component}: running and healthy")}
    return out


def _collector_hosts(fl: fleet.Fleet) -> list[str]:
    return [name for name, plan in fl.plans.items() if set(COLLECTORS) & set(plan.components)]


def test_plan_after_a_config_change_lists_exactly_the_changed_files_and_restarts(inventory: Path,
                                                                                  deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 1}})
    planned = set(_apply(changed, inventory, dry=True).run.planned())
    assert planned == _collector_changes(changed, _collector_hosts(changed))


def test_limit_gateways_touches_only_gateways(inventory: Path, deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 1}})
    result = _apply(changed, inventory, limit=("gateways",))
    assert [h.name for h in result.run.hosts] == list(FLEET_GROUPS["gateways"])
    assert {name for name, ops in result.changed.items() if ops} == set(FLEET_GROUPS["gateways"])
    assert {name: acts.get("restarted") for name, acts in result.actions.items()} \
        == {name: [_collector_of(changed, name)] for name in FLEET_GROUPS["gateways"]}
    # the agents still wait for the change; the gateways are done
    pending = set(_apply(changed, inventory, dry=True).run.planned())
    assert pending == _collector_changes(changed, list(FLEET_GROUPS["agents"]))


def test_serial_restarts_one_host_at_a_time_each_healthy_before_the_next(inventory: Path, deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 2}})
    result = _apply(changed, inventory, serial=True)
    restarted = [h for h in result.run.hosts if result.actions.get(h.name, {}).get("restarted")]
    assert [h.name for h in restarted] == _collector_hosts(changed)  # inventory order, every collector host
    for host in restarted:  # the restart op returns only once the component answers its health check
        (op,) = [op for op in host.operations if op.name == f"{_collector_of(changed, host.name)}: running and healthy"]
        assert op.success and op.changed
    for before, after in zip(restarted, restarted[1:]):
        assert before.finished_at <= after.started_at, (before, after)
    print("rolling restart (s since the first host began): " + ", ".join(
        f"{h.name} {h.started_at - restarted[0].started_at:.1f}-{h.finished_at - restarted[0].started_at:.1f}"
        for h in restarted))
    assert all(supervisor.healthy(changed.plans[h.name].components[_collector_of(changed, h.name)].health_url)
               for h in restarted)

"""The in-process pyinfra runner on pyinfra's own @fake hosts (scripted command results, nothing touched):
results as data, dry runs, --limit by group or host, --serial one host after the other."""
from __future__ import annotations

import textwrap

import pytest
from pyinfra import host
from pyinfra.operations import server

from vibes_stack import pyinfra_run, supervisor
from vibes_stack.pyinfra_ops import secret_file


def _inventory(tmp_path, responses_b: str = "{}"):
    """Two fake hosts in two groups; group data for one group and for all."""
    inv = tmp_path / "inventories" / "site.py"
    inv.parent.mkdir()
    inv.write_text(textwrap.dedent(f"""
        gateways = [("@fake/gw", {{"fake_delay": 0, "fake_responses": {{"test -e": "yes"}}}})]
        agents = [("@fake/agent", {{"fake_delay": 0, "fake_responses": {responses_b}}})]
    """))
    data = tmp_path / "group_data"
    data.mkdir()
    (data / "all.py").write_text("tier = 'any'\nretention = '168h'\n")
    (data / "gateways.py").write_text("tier = 'gateway'\n")
    return inv, data


def _two_steps(secret_path):
    secret_file(name="secret", path=secret_path)  # a no-op where the file exists (its fact says so)
    server.shell(name="step one", commands=["echo one"])
    server.shell(name="step two", commands=["step-two-command"])


def _targets(inv, data, **kw) -> pyinfra_run.Targets:
    return pyinfra_run.Targets(inventory=inv, group_data_dir=data, **kw)


def test_inventory_groups_and_group_data(tmp_path):
    inv, data = _inventory(tmp_path)
    inventory = pyinfra_run.load_inventory(inv, data)
    assert [h.name for h in inventory] == ["@fake/gw", "@fake/agent"]
    assert [h.name for h in inventory.get_group("site")] == ["@fake/gw", "@fake/agent"]  # the file's group
    assert inventory.get_host("@fake/gw").data.tier == "gateway"
    assert inventory.get_host("@fake/agent").data.tier == "any"
    assert inventory.get_host("@fake/agent").data.retention == "168h"


def test_limit_names_groups_or_hosts_and_refuses_unknown_names(tmp_path):
    inventory = pyinfra_run.load_inventory(*_inventory(tmp_path))
    assert pyinfra_run.select_hosts(inventory, ("agents",)) == ["@fake/agent"]
    assert pyinfra_run.select_hosts(inventory, ("@fake/agent", "gateways")) == ["@fake/gw", "@fake/agent"]
    with pytest.raises(pyinfra_run.TargetError, match="'web'.*neither a host nor a group"):
        pyinfra_run.select_hosts(inventory, ("web",))


def test_missing_inventory_is_named(tmp_path):
    with pytest.raises(pyinfra_run.TargetError, match="nope.py: file not found"):
        pyinfra_run.load_inventory(tmp_path / "nope.py")


def test_dry_run_predicts_from_facts_and_executes_nothing(tmp_path):
    inv, data = _inventory(tmp_path)
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data), dry=True)
    assert run.dry and run.success
    by_host = {h.name: h for h in run.hosts}
    assert [(op.name, op.will_change) for op in by_host["@fake/gw"].operations] == [
        ("secret", False), ("step one", True), ("step two", True)]
    assert [op.will_change for op in by_host["@fake/agent"].operations] == [True, True, True]
    assert all(op.success is None and not op.changed for h in run.hosts for op in h.operations)
    assert run.planned().count(("@fake/gw", "secret")) == 0


def test_results_carry_each_operations_outcome_and_own_error(tmp_path):
    failing = '{"step-two-command": {"success": False, "stderr": "agent: not healthy; last lines: x"}}'
    inv, data = _inventory(tmp_path, failing)
    seen: list[str] = []
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data), progress=seen.append)
    assert not run.success
    gw = {op.name: op for op in next(h for h in run.hosts if h.name == "@fake/gw").operations}
    agent = {op.name: op for op in next(h for h in run.hosts if h.name == "@fake/agent").operations}
    assert gw["secret"].success and not gw["secret"].changed
    assert gw["step two"].success and gw["step two"].changed      # the other host carried on
    assert agent["step one"].changed and agent["step two"].success is False
    assert run.failures() == [("@fake/agent", "agent: not healthy; last lines: x")]
    assert "  ✓ step two [@fake/gw]" in seen and "  ✓ step two [@fake/agent]" not in seen


def test_limit_deploys_only_the_named_group(tmp_path):
    inv, data = _inventory(tmp_path)
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data, limit=("agents",)))
    assert [h.name for h in run.hosts] == ["@fake/agent"] and run.success
    assert [op.name for _h, op in run.changed()] == ["secret", "step one", "step two"]


def test_serial_runs_one_host_after_the_other_in_inventory_order(tmp_path):
    inv, data = _inventory(tmp_path)
    seen: list[str] = []
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data, serial=True), progress=seen.append)
    assert run.success and [h.name for h in run.hosts] == ["@fake/gw", "@fake/agent"]
    assert seen == ["  ✓ step one [@fake/gw]", "  ✓ step two [@fake/gw]",
                    "  ✓ secret [@fake/agent]", "  ✓ step one [@fake/agent]", "  ✓ step two [@fake/agent]"]


def test_serial_stops_at_the_first_host_that_fails(tmp_path):
    inv, data = _inventory(tmp_path)
    inv.write_text(inv.read_text().replace('"test -e": "yes"', '"step-two-command": {"success": False}'))
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data, serial=True))
    assert [h.name for h in run.hosts] == ["@fake/gw"] and not run.success
    assert run.failures() == [("@fake/gw", "operation 'step two' failed")]


def _named_per_host():
    server.shell(name=f"configure {host.name}", commands=["echo configure"])


def test_each_host_keeps_its_own_operation_name_on_a_shared_line(tmp_path):
    inv, data = _inventory(tmp_path)
    run = pyinfra_run.run(_named_per_host, targets=_targets(inv, data))
    assert {h.name: [op.name for op in h.operations] for h in run.hosts} == {
        h: [f"configure {h}"] for h in ("@fake/gw", "@fake/agent")}


def test_serial_passes_follow_each_other_in_time(tmp_path):
    inv, data = _inventory(tmp_path)
    run = pyinfra_run.run(_two_steps, "/s", targets=_targets(inv, data, serial=True))
    gw, agent = run.hosts
    assert gw.started_at <= gw.finished_at <= agent.started_at <= agent.finished_at


def test_supervisor_report_is_read_back_from_an_operations_stdout():
    line = supervisor.report("jaeger", "restarted", 1234, 0.44)
    assert supervisor.read_reports(["starting…", line]) == [{
        "component": "jaeger", "action": "restarted", "pid": 1234, "seconds": 0.4}]
    assert supervisor.read_reports(["jaeger: healthy", "{}", "[1, 2]"]) == []
    with pytest.raises(ValueError, match="'exploded'"):
        supervisor.report("jaeger", "exploded")

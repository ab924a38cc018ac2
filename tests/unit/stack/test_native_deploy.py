"""The native deploy (stack/tasks/native.py through the in-process runner, on this machine) with two stand-in
processes: the dry run lists exactly what the deploy then changes, a second deploy changes nothing, a changed
config touches only its component, a secret is made once, a stale rule file is pruned, down stops both."""
from __future__ import annotations

import socket
import stat
import sys
from pathlib import Path

import pytest

from vibes_stack import config, deploy, host_facts, paths, supervisor
from vibes_stack.components import ComponentSpec
from vibes_stack.render import StackPlan

STAND_IN = str(Path(__file__).parent / "stand_in.py")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _prepared(state_dir: Path, ports: dict[str, int], setting: str = "on") -> deploy.Prepared:
    """Stand-ins named like registry components, so the registry's order applies: collector starts after jaeger
    (and exits at once unless jaeger is healthy then)."""
    state = paths.StateLayout(state_dir)
    jaeger_url = f"http://127.0.0.1:{ports['jaeger']}/"
    jaeger = ComponentSpec("jaeger", [sys.executable, STAND_IN, str(ports["jaeger"])], health_url=jaeger_url,
                           url=jaeger_url, files={str(state.config / "jaeger" / "jaeger.yaml"): f"setting: {setting}\n"},
                           dirs=[str(state.data / "jaeger" / "keys")], secrets=[str(state.secrets / "jaeger_token")],
                           cwd=str(state.root))
    rules = state.config / "collector" / "rules"
    collector_url = f"http://127.0.0.1:{ports['collector']}/"
    collector = ComponentSpec("collector", [sys.executable, STAND_IN, str(ports["collector"]), "--require", jaeger_url],
                              health_url=collector_url, url=collector_url,
                              files={str(rules / "kept.yml"): "kept\n",
                                     str(state.config / "collector" / "auth.yaml"): "secret: x\n"},
                              secret_files={str(state.config / "collector" / "auth.yaml")},
                              pruned_dirs=[str(rules)], cwd=str(state.root))
    plan = StackPlan("native", str(state.root), {"jaeger": jaeger, "collector": collector})
    return deploy.Prepared("native", config.build({}), plan, state)


def _planned(prep: deploy.Prepared) -> list[str]:
    rc, run = deploy.run_pyinfra(deploy.document(prep, "up"), dry=True)
    assert rc == 0, deploy.failure_text(run)
    return deploy.planned_changes(run)


@pytest.fixture
def stack(tmp_path):
    ports = {"jaeger": _free_port(), "collector": _free_port()}
    yield tmp_path / "state", ports
    for name in ("collector", "jaeger"):
        supervisor.stop(tmp_path / "state" / "run", name)


def test_plan_lists_exactly_what_up_changes_and_a_second_up_changes_nothing(stack):
    state_dir, ports = stack
    prep = _prepared(state_dir, ports)
    st = prep.state
    planned = _planned(prep)
    assert not st.root.exists()  # a dry run touches nothing
    assert planned == [f"jaeger: secret {st.secrets / 'jaeger_token'} (0600)",
                       f"jaeger: directory {st.data / 'jaeger' / 'keys'}",
                       f"jaeger: {st.config / 'jaeger' / 'jaeger.yaml'}",
                       "jaeger: process spec",
                       f"collector: {st.config / 'collector' / 'auth.yaml'}",
                       f"collector: {st.config / 'collector' / 'rules' / 'kept.yml'}",
                       "collector: process spec",
                       "jaeger, collector: running and healthy"]

    result = deploy.apply(prep, "up")
    assert [op.name for _h, op in result.run.changed()] == planned
    assert (result.started, result.restarted) == (["jaeger", "collector"], [])
    assert all(supervisor.healthy(c.health_url) for c in prep.plan.ordered())
    assert stat.S_IMODE((st.config / "collector" / "auth.yaml").stat().st_mode) == 0o600
    assert stat.S_IMODE((st.secrets / "jaeger_token").stat().st_mode) == 0o600
    assert (st.config / "jaeger" / "jaeger.yaml").read_text() == "setting: on\n"

    token = (st.secrets / "jaeger_token").read_text()
    assert _planned(prep) == []
    again = deploy.apply(prep, "up")
    assert not again.changed and again.run.changed() == []
    assert (st.secrets / "jaeger_token").read_text() == token  # never rotated silently


def test_a_changed_file_mode_or_config_touches_only_its_component(stack):
    state_dir, ports = stack
    prep = _prepared(state_dir, ports)
    deploy.apply(prep, "up")
    pids = {c: supervisor.read_pid(prep.state.run, c) for c in ("jaeger", "collector")}
    auth = prep.state.config / "collector" / "auth.yaml"
    auth.chmod(0o644)
    assert _planned(prep) == [f"collector: {auth}"]
    deploy.apply(prep, "up")
    assert stat.S_IMODE(auth.stat().st_mode) == 0o600

    stale = prep.state.config / "collector" / "rules" / "dropped.yml"
    stale.write_text("old rule\n")
    changed = _prepared(state_dir, ports, setting="off")
    assert _planned(changed) == [f"jaeger: {changed.state.config / 'jaeger' / 'jaeger.yaml'}", "jaeger: process spec",
                                 f"collector: remove stale file {stale}", "jaeger: running and healthy"]
    result = deploy.apply(changed, "up")
    assert (result.restarted, result.started) == (["jaeger"], [])
    assert not stale.exists()
    assert supervisor.read_pid(prep.state.run, "collector") == pids["collector"]
    assert supervisor.read_pid(prep.state.run, "jaeger") != pids["jaeger"]


def test_down_stops_what_runs_and_then_is_a_no_op(stack):
    state_dir, ports = stack
    prep = _prepared(state_dir, ports)
    deploy.apply(prep, "up")
    assert sorted(deploy.apply(prep, "down").stopped) == ["collector", "jaeger"]
    assert not any(supervisor.healthy(c.health_url, timeout=0.5) for c in prep.plan.ordered())
    assert deploy.apply(prep, "down").stopped == []


def test_the_host_is_read_in_one_command(tmp_path):
    f = tmp_path / "f.conf"
    f.write_text("x = 1\n")
    f.chmod(0o640)
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "sub" / "r.yml").write_text("")
    answer = host_facts.read({"files": [str(f), str(tmp_path / "missing")], "dirs": [str(tmp_path / "d"), str(f)],
                              "listed": [str(tmp_path / "d"), str(tmp_path / "none")], "run_dir": str(tmp_path / "run"),
                              "components": ["jaeger"]})
    assert answer["files"] == {str(f): {"sha256": host_facts.digest(b"x = 1\n"), "mode": "640"},
                               str(tmp_path / "missing"): None}
    assert answer["dirs"] == {str(tmp_path / "d"): True, str(f): False}
    assert answer["listed"] == {str(tmp_path / "d"): [str(tmp_path / "d" / "sub" / "r.yml")], str(tmp_path / "none"): []}
    assert answer["processes"] == {"jaeger": supervisor.probe(tmp_path / "run", "jaeger")}

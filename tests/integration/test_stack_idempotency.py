"""A second deploy changes nothing; a changed setting restarts only its component; plan is a dry run."""
from __future__ import annotations

from pathlib import Path

from conftest import COMPONENTS

from vibes_stack import deploy


def _pids(stack) -> dict[str, int | None]:
    return {c: stack.pid(c) for c in COMPONENTS}


def test_second_deploy_changes_nothing(stack):
    stack.reset()  # other modules' redeploys may have left their alerting config behind
    before = _pids(stack)
    result = stack.redeploy({})
    assert not result.changed, (result.changed_files, result.started, result.restarted)
    assert _pids(stack) == before


def test_changing_one_setting_restarts_only_its_component(stack):
    stack.reset()
    original = str(stack.config.retention.traces)
    before = _pids(stack)
    try:
        result = stack.redeploy({"retention": {"traces": "100h"}})
        assert result.restarted == ["jaeger"] and not result.started, result
        assert [Path(p).name for p in result.changed_files] == ["jaeger.yaml"]
        after = _pids(stack)
        assert {c for c in COMPONENTS if after[c] != before[c]} == {"jaeger"}
        assert "100h" in (stack.state_dir / "config" / "jaeger" / "jaeger.yaml").read_text()

        before = _pids(stack)
        result = stack.redeploy({"intervals": {"scrape": "3s"}})
        assert result.restarted == ["prometheus"], result
        after = _pids(stack)
        assert {c for c in COMPONENTS if after[c] != before[c]} == {"prometheus"}
    finally:
        stack.redeploy({"retention": {"traces": original}, "intervals": {"scrape": "2s"}})


def test_plan_is_a_dry_run(stack):
    stack.reset()
    prep_now = deploy.prepare("native", state_dir=stack.state_dir, user=stack._user, out=lambda _l: None)
    rc, output = deploy.run_pyinfra(deploy.document(prep_now, "up"), dry=True)
    assert rc == 0, output
    assert deploy.planned_changes(output) == [], deploy.plan_table(output)

    jaeger_yaml = stack.state_dir / "config" / "jaeger" / "jaeger.yaml"
    text_before, pids_before = jaeger_yaml.read_text(), _pids(stack)
    changed_user = {**stack._user, "retention": {"traces": "99h"}}
    prep_changed = deploy.prepare("native", state_dir=stack.state_dir, user=changed_user, out=lambda _l: None)
    rc, output = deploy.run_pyinfra(deploy.document(prep_changed, "up"), dry=True)
    assert rc == 0, output
    planned = deploy.planned_changes(output)
    assert any(op.startswith("jaeger: ") and "jaeger.yaml" in op for op in planned), planned
    assert "jaeger: running and healthy" in planned, planned
    assert all(op.startswith("jaeger: ") for op in planned), planned
    assert jaeger_yaml.read_text() == text_before and _pids(stack) == pids_before  # nothing touched

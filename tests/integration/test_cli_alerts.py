"""`vibes observe alerts` against the live stack: user rule files (promtool first, atomic
install, Prometheus reload; a bad rule never replaces a good file), firing alerts,
silence and unsilence."""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cli"))
import workload as wl  # noqa: E402

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:6]
ALERT = f"CliUserRule{TAG}"
GROUP = f"cli-user-{TAG}"
GOOD = f"""groups:
- name: {GROUP}
  rules:
  - alert: {ALERT}
    expr: vector(1) > 0
    labels: {{severity: info, cli_test: "{TAG}"}}
    annotations: {{summary: "CLI test rule that always fires."}}
"""
BAD = GOOD.replace("vector(1) > 0", "sum(vibes_llm_cost_usd_total) by (")


def _diagnose(stack) -> str:
    am = requests.get(f"{stack.alertmanager_url}/api/v2/alerts", timeout=10).json()
    prom = requests.get(f"{stack.prometheus_url}/api/v1/alerts", timeout=10).json()["data"]["alerts"]
    return (f"\nAlertmanager has: {[(a['labels'].get('alertname'), a['status']) for a in am]}"
            f"\nPrometheus has: {[(a['labels'].get('alertname'), a['state']) for a in prom]}"
            f"\nprometheus log:\n{stack.log_tail('prometheus', 15)}")


def _wait(what: str, check, timeout: float = 45.0, stack=None):
    # Alerts reach Alertmanager within one --rules.alert.resend-delay (1m): a Prometheus
    # reload empties its Alertmanager set briefly, so the first send can be dropped.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(1)
    raise AssertionError(f"timed out waiting for {what}" + (_diagnose(stack) if stack else ""))


def _loaded_groups(stack) -> dict[str, dict]:
    groups = requests.get(f"{stack.prometheus_url}/api/v1/rules", timeout=10).json()["data"]["groups"]
    return {g["name"]: g for g in groups}


def _alert_names(stack, *extra) -> list[str]:
    out = json.loads(wl.run_cli(stack, "alerts", "--json", *extra).stdout)
    return [a["labels"]["alertname"] for a in out]


@pytest.fixture(scope="module")
def user_rule(stack, tmp_path_factory):
    src = tmp_path_factory.mktemp("rules") / "team.yml"
    src.write_text(GOOD)
    proc = wl.run_cli(stack, "alerts", "rules", "add", str(src), "--name", f"cli-{TAG}.yml")
    dest = Path(stack.state_dir) / "config" / "prometheus" / "user-rules" / f"cli-{TAG}.yml"
    assert f"installed {dest}" in proc.stdout
    yield dest
    wl.run_cli(stack, "alerts", "rules", "remove", dest.name, check=False)


def test_added_rule_is_loaded_and_fires(stack, user_rule):
    group = _wait("Prometheus to load the user rule group", lambda: _loaded_groups(stack).get(GROUP))
    assert group["file"] == str(user_rule)
    listed = json.loads(wl.run_cli(stack, "alerts", "rules", "list", "--json").stdout)
    assert GROUP in [g["name"] for g in listed]
    text = wl.run_cli(stack, "alerts", "rules", "list").stdout
    assert ALERT in text and f"user: {user_rule.name}" in text
    _wait("the alert to reach Alertmanager", lambda: ALERT in _alert_names(stack), timeout=100, stack=stack)
    table = wl.run_cli(stack, "alerts").stdout
    assert ALERT in table and "CLI test rule that always fires." in table


def test_bad_rule_never_replaces_the_good_file(stack, user_rule, tmp_path):
    _wait("Prometheus to load the user rule group", lambda: _loaded_groups(stack).get(GROUP))
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD)
    check = wl.run_cli(stack, "alerts", "rules", "check", str(bad), check=False)
    assert check.returncode == 1 and "FAILED" in check.stdout + check.stderr
    proc = wl.run_cli(stack, "alerts", "rules", "add", str(bad), "--name", user_rule.name, check=False)
    assert proc.returncode == 1
    assert "failed `promtool check rules`" in proc.stderr and "left unchanged" in proc.stderr
    assert user_rule.read_text() == GOOD
    assert not [p for p in user_rule.parent.iterdir() if p.name.startswith(".")]  # no temp file left
    stack.reload_prometheus()  # even an explicit reload now still serves the good rule
    group = _loaded_groups(stack)[GROUP]
    assert [r["name"] for r in group["rules"]] == [ALERT]
    assert all(r["health"] != "err" for r in group["rules"])


def test_silence_and_unsilence(stack, user_rule):
    _wait("the alert to reach Alertmanager", lambda: ALERT in _alert_names(stack), timeout=100, stack=stack)
    proc = wl.run_cli(stack, "alerts", "silence", f"alertname={ALERT}", f"cli_test={TAG}",
                      "--duration", "10m", "--comment", "cli test")
    silence_id = proc.stdout.strip().rsplit(" ", 1)[-1]
    _wait("the alert to be silenced", lambda: ALERT not in _alert_names(stack), stack=stack)
    suppressed = json.loads(wl.run_cli(stack, "alerts", "--all", "--json").stdout)
    mine = [a for a in suppressed if a["labels"]["alertname"] == ALERT]
    assert mine and mine[0]["status"]["state"] == "suppressed"
    assert silence_id in mine[0]["status"]["silencedBy"]
    silences = json.loads(wl.run_cli(stack, "alerts", "silences", "--json").stdout)
    assert silence_id in [s["id"] for s in silences]
    out = wl.run_cli(stack, "alerts", "unsilence", "--alert", ALERT).stdout
    assert f"expired silence {silence_id}" in out
    _wait("the alert to fire again", lambda: ALERT in _alert_names(stack), timeout=100, stack=stack)


def test_bad_matcher_is_named(stack):
    proc = wl.run_cli(stack, "alerts", "silence", "nonsense", check=False)
    assert proc.returncode == 2 and "'nonsense'" in proc.stderr


def test_remove_unloads_the_rule_file(stack, user_rule):
    # runs last in this module: the fixture's own clean-up then finds nothing to remove
    _wait("Prometheus to load the user rule group", lambda: _loaded_groups(stack).get(GROUP))
    proc = wl.run_cli(stack, "alerts", "rules", "remove", user_rule.name)
    assert f"removed {user_rule}" in proc.stdout
    assert not user_rule.exists()
    _wait("Prometheus to drop the group", lambda: GROUP not in _loaded_groups(stack))
    again = wl.run_cli(stack, "alerts", "rules", "remove", user_rule.name, check=False)
    assert again.returncode == 1 and f"no user rule file {user_rule.name!r}" in again.stderr

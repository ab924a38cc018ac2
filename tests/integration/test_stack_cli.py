"""The user's entry points (`python -m vibes_stack …`, what `make up/status/plan/logs/clean` run)
against the live test stack: a second `up` reports no changes and restarts nothing."""
from __future__ import annotations

import subprocess
import sys

import yaml

from conftest import COMPONENTS


def _cli(stack, tmp_path, *args, timeout=300):
    cfg = tmp_path / "stack.yaml"
    cfg.write_text(yaml.safe_dump(stack._user))
    return subprocess.run([sys.executable, "-m", "vibes_stack", "--mode", "native", "--config", str(cfg),
                           "--state-dir", str(stack.state_dir), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_up_again_reports_no_changes_and_a_readiness_summary(stack, tmp_path):
    stack.reset()  # the user's view: the test stack's own config, not another module's overrides
    pids = {c: stack.pid(c) for c in COMPONENTS}
    proc = _cli(stack, tmp_path, "up")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no changes" in proc.stdout
    for component in COMPONENTS:
        line = next(l for l in proc.stdout.splitlines() if l.startswith(component + " "))
        assert "healthy" in line and "http://127.0.0.1:" in line, line
    assert {c: stack.pid(c) for c in COMPONENTS} == pids


def test_status_plan_and_logs(stack, tmp_path):
    stack.reset()
    status = _cli(stack, tmp_path, "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert status.stdout.count("healthy (pid") == len(COMPONENTS)
    plan = _cli(stack, tmp_path, "plan")
    assert plan.returncode == 0 and "no changes" in plan.stdout, plan.stdout + plan.stderr
    logs = _cli(stack, tmp_path, "logs", "collector", "-n", "20")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.startswith("==> collector") and len(logs.stdout.splitlines()) >= 11, logs.stdout
    missing = _cli(stack, tmp_path, "logs", "nonexistent")
    assert missing.returncode == 2 and "nonexistent" in missing.stderr


def test_clean_asks_first_and_yes_deletes(tmp_path):
    state = tmp_path / "state"
    (state / "data").mkdir(parents=True)
    (state / "data" / "x").write_text("data")
    base = [sys.executable, "-m", "vibes_stack", "--mode", "native", "--state-dir", str(state), "clean"]
    refused = subprocess.run(base, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)
    assert refused.returncode == 2 and "--yes" in refused.stderr and (state / "data" / "x").exists()
    done = subprocess.run(base + ["--yes"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not state.exists()

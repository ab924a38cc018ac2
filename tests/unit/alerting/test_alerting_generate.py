"""generate.py: the committed artifacts match their sources; drift is reported."""
from __future__ import annotations

import subprocess
import sys

from vibes_observe import generate

from .conftest import REPO


def test_check_passes_on_the_committed_tree():
    res = subprocess.run([sys.executable, "-m", "vibes_observe.generate", "--check"], cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr


def test_drift_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "ARTIFACTS", [])
    monkeypatch.setattr(generate, "_BUILTINS_ADDED", True)
    generate.register("alert_rules/x.yml", lambda: "fresh\n")
    generate.register("dashboards/y.json", lambda: "{}\n")
    (tmp_path / "alert_rules").mkdir()
    (tmp_path / "alert_rules" / "x.yml").write_text("stale\n")
    diffs = generate.drift(tmp_path)
    assert len(diffs) == 2
    assert "-stale" in diffs[0] and "+fresh" in diffs[0]
    assert "dashboards/y.json" in diffs[1]


def test_registered_artifacts_join_the_builtin_ones(tmp_path, monkeypatch):
    monkeypatch.setattr(generate, "ARTIFACTS", [])
    monkeypatch.setattr(generate, "_BUILTINS_ADDED", False)
    generate.register("docs/extra.txt", lambda: "x\n")
    generate.drift(tmp_path)  # an empty root: everything drifts, nothing is written
    paths = [p for p, _ in generate.ARTIFACTS]
    assert "docs/extra.txt" in paths and "alert_rules/vibes-alerts.yml" in paths
    assert "dashboards/cost.json" in paths and not any(tmp_path.iterdir())


def test_registering_a_path_twice_fails(monkeypatch):
    monkeypatch.setattr(generate, "ARTIFACTS", [])
    generate.register("a", lambda: "")
    try:
        generate.register("a", lambda: "")
    except ValueError as exc:
        assert "'a' is registered twice" in str(exc)
    else:
        raise AssertionError("duplicate registration accepted")

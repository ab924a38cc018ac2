"""User rule files: promtool first, atomic install, rollback if Prometheus refuses.

Uses the real promtool; Prometheus's /-/reload is a local HTTP endpoint that records
the call (the live test in tests/integration/test_cli_alerts.py uses a real Prometheus)."""

import shutil

import pytest

from vibes_observe.commands import _rules
from fake_prometheus import Reload as _Reload, prom  # noqa: F401  (fixture)

GOOD = """groups:
- name: user-latency
  rules:
  - alert: UserSlowAgent
    expr: vector(1) > 0
    for: 1m
    labels: {severity: warning}
    annotations: {summary: "An agent is slow."}
"""
BAD = GOOD.replace("vector(1) > 0", "vector(1) >>> 0")



@pytest.fixture(scope="module", autouse=True)
def _promtool_present():
    assert shutil.which("promtool"), "promtool is required (Debian package prometheus)"


def test_good_file_is_installed_and_prometheus_reloaded(tmp_path, prom):
    src = tmp_path / "mine.yml"
    src.write_text(GOOD)
    dest = _rules.install(src, prom, rules_dir=tmp_path / "rules")
    assert dest == tmp_path / "rules" / "mine.yml"
    assert dest.read_text() == GOOD
    assert _Reload.calls == ["/-/reload"]
    assert [p.name for p in (tmp_path / "rules").iterdir()] == ["mine.yml"]  # no temp files left


def test_bad_rule_never_replaces_a_good_rules_file(tmp_path, prom):
    rules = tmp_path / "rules"
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    good.write_text(GOOD)
    bad.write_text(BAD)
    _rules.install(good, prom, rules_dir=rules, name="team.yml")
    with pytest.raises(_rules.RuleError) as err:
        _rules.install(bad, prom, rules_dir=rules, name="team.yml")
    assert "promtool check rules" in str(err.value) and "left unchanged" in str(err.value)
    assert "could not parse expression" in str(err.value)  # promtool's own reason
    assert (rules / "team.yml").read_text() == GOOD
    assert _Reload.calls == ["/-/reload"]  # the bad file never triggered a reload
    assert [p.name for p in rules.iterdir()] == ["team.yml"]


def test_refused_reload_restores_the_previous_file(tmp_path, prom):
    rules = tmp_path / "rules"
    first, second = tmp_path / "a.yml", tmp_path / "b.yml"
    first.write_text(GOOD)
    second.write_text(GOOD.replace("UserSlowAgent", "UserSlowerAgent"))
    _rules.install(first, prom, rules_dir=rules, name="team.yml")
    _Reload.status = 500
    with pytest.raises(_rules.RuleError, match="restored"):
        _rules.install(second, prom, rules_dir=rules, name="team.yml")
    assert (rules / "team.yml").read_text() == GOOD
    # a refused reload of a brand-new file removes it again
    with pytest.raises(_rules.RuleError, match="restored"):
        _rules.install(second, prom, rules_dir=rules, name="other.yml")
    assert not (rules / "other.yml").exists()


def test_unsafe_names_are_refused(tmp_path, prom):
    src = tmp_path / "x.yml"
    src.write_text(GOOD)
    with pytest.raises(_rules.RuleError, match="'../evil.yml'"):
        _rules.install(src, prom, rules_dir=tmp_path / "rules", name="../evil.yml")


def test_missing_promtool_refuses_to_install(tmp_path, prom, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("VIBES_PROMTOOL", raising=False)
    src = tmp_path / "x.yml"
    src.write_text(GOOD)
    with pytest.raises(_rules.RuleError, match="promtool not found"):
        _rules.install(src, prom, rules_dir=tmp_path / "rules")
    assert not (tmp_path / "rules").exists()

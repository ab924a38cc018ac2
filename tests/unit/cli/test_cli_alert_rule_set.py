"""`alerts add` writes a rule only if the real promtool accepts the WHOLE resulting rule
set (shipped rules + user files + the new one); otherwise every rule file stays
byte-for-byte as it was and Prometheus is not reloaded."""

import os
import shutil
from pathlib import Path

import pytest

from vibes_observe.alerting import oneline
from vibes_observe.commands import _rules
from fake_prometheus import Reload, prom  # noqa: F401  (fixture)

REPO = Path(__file__).resolve().parents[3]
TEAM = """groups:
- name: team
  rules:
  - alert: TeamAlwaysFires
    expr: vector(1) > 0
    labels: {severity: info}
    annotations: {summary: "Always."}
"""


@pytest.fixture
def rule_dirs():
    assert shutil.which("promtool"), "promtool is required (Debian package prometheus)"
    generated = _rules.generated_rules_dir()
    generated.mkdir(parents=True)
    for f in ("vibes-alerts.yml", "vibes-recording.yml"):
        shutil.copy(REPO / "alert_rules" / f, generated / f)
    user = _rules.user_rules_dir()
    user.mkdir(parents=True)
    (user / "team.yml").write_text(TEAM)
    return generated, user


def _snapshot(*dirs: Path) -> dict[str, bytes]:
    """Every file (hidden temp files included) with its exact bytes."""
    return {str(p): p.read_bytes() for d in dirs for p in sorted(d.iterdir())}


def _rule(words="error rate > 5% over 10m", description=None, **scope):
    rule = oneline.parse(words, scope)
    return oneline.rule_file(oneline.to_alert(rule, name=oneline.default_name(rule), severity="warning",
                                              channels=(), description=description), "https://x/RUNBOOK.md")


def test_good_rule_joins_the_set_and_reloads(rule_dirs, prom):
    generated, user = rule_dirs
    before = _snapshot(generated, user)
    name, text = _rule(model="gpt-4o")
    dest = _rules.place(text.encode(), user / name, prom)
    assert dest.read_text() == text
    assert Reload.calls == ["/-/reload"]
    assert _snapshot(generated, user) == {**before, str(dest): text.encode()}


def test_rule_promtool_rejects_leaves_every_file_unchanged(rule_dirs, prom):
    generated, user = rule_dirs
    before = _snapshot(generated, user)
    name, text = _rule(description="broken template {{ $value ")  # promtool validates templates
    with pytest.raises(_rules.RuleError) as err:
        _rules.place(text.encode(), user / name, prom, what="alert X")
    message = str(err.value)
    assert message.startswith("alert X: `promtool check rules` rejected it") and "\n" not in message
    assert "unclosed action" in message  # promtool's own reason
    assert "left unchanged" in message
    assert _snapshot(generated, user) == before
    assert Reload.calls == []


def test_a_broken_file_already_in_the_set_blocks_the_add(rule_dirs, prom):
    generated, user = rule_dirs
    (user / "broken.yml").write_text(TEAM.replace("vector(1) > 0", "vector(1) >>> 0"))
    before = _snapshot(generated, user)
    name, text = _rule()
    with pytest.raises(_rules.RuleError, match="rejected the resulting rule set"):
        _rules.place(text.encode(), user / name, prom)
    assert _snapshot(generated, user) == before and Reload.calls == []


def test_refused_reload_takes_the_new_rule_back(rule_dirs, prom):
    generated, user = rule_dirs
    before = _snapshot(generated, user)
    Reload.status = 500
    name, text = _rule()
    with pytest.raises(_rules.RuleError, match="restored"):
        _rules.place(text.encode(), user / name, prom)
    assert _snapshot(generated, user) == before


def test_missing_promtool_creates_nothing(prom, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.delenv("VIBES_PROMTOOL", raising=False)
    name, text = _rule()
    with pytest.raises(_rules.RuleError, match="promtool not found"):
        _rules.place(text.encode(), _rules.user_rules_dir() / name, prom)
    assert not _rules.user_rules_dir().exists() and not os.environ.get("VIBES_PROMTOOL")

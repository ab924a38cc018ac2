"""Alert listing and silence matchers, on Alertmanager's recorded /api/v2/alerts answer."""

import click
import pytest

from vibes_observe.commands.alerts import parse_matcher
from recorded import load


def test_matchers():
    assert parse_matcher("alertname=HighCost") == {"name": "alertname", "value": "HighCost",
                                                   "isRegex": False, "isEqual": True}
    assert parse_matcher("model!=gpt-4o")["isEqual"] is False
    assert parse_matcher('job=~"agent-.*"') == {"name": "job", "value": "agent-.*", "isRegex": True,
                                                "isEqual": True}
    assert parse_matcher("job!~x") == {"name": "job", "value": "x", "isRegex": True, "isEqual": False}
    with pytest.raises(click.BadParameter, match="'nonsense'"):
        parse_matcher("nonsense")


def test_recorded_alerts_render(monkeypatch, capsys):
    from vibes_observe.cli import main
    from vibes_observe.clients import alertmanager

    recorded = load("alertmanager_alerts.json")
    monkeypatch.setattr(alertmanager.AlertmanagerClient, "alerts", lambda self, **kw: recorded)
    assert main(["observe", "alerts"]) == 0
    out = capsys.readouterr().out
    for a in recorded:
        assert a["labels"]["alertname"] in out
        assert a["labels"].get("severity", "") in out
        assert a["annotations"].get("summary", "") in out


def test_recorded_rules_list_renders_every_rule_and_marks_user_files(monkeypatch, capsys, tmp_path):
    from vibes_observe.cli import main
    from vibes_observe.clients import prometheus

    groups = load("prometheus_rules.json")["data"]["groups"]
    user_dir = tmp_path / "user-rules"
    user_group = {**groups[0], "name": "team-rules", "file": str(user_dir / "team.yml")}
    monkeypatch.setattr(prometheus.PrometheusClient, "rules", lambda self: [*groups, user_group])
    monkeypatch.setenv("VIBES_RULES_DIR", str(user_dir))
    assert main(["observe", "alerts", "rules", "list"]) == 0
    out = capsys.readouterr().out
    for g in groups:
        for r in g["rules"]:
            assert r["name"] in out
    firing = [r["name"] for g in groups for r in g["rules"] if r.get("state") == "firing"]
    assert firing and all(any(name in l and "firing" in l for l in out.splitlines()) for name in firing)
    assert "user: team.yml" in out
    assert "user: vibes-alerts.yml" not in out  # generated rules are not user files

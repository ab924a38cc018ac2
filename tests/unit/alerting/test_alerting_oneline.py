"""Alert rules in words: each example maps onto its condition kind, the generated rule
file passes the real promtool, fires (and does not) as its words say, and bad words get
one error naming the culprit."""
from __future__ import annotations

import json

import pytest
import yaml

from vibes_observe.alerting import oneline

from .conftest import run

BASE = "https://example.com/RUNBOOK.md"

# (words, scope, kind, op, threshold in base units, window or period, for)
EXAMPLES = [
    ("cost > 50 USD per day", {"cost_center": "research"}, "CostExceeds", ">", 50.0, "day", "0m"),
    ("error rate > 5% over 10m", {"model": "gpt-4o"}, "ErrorRate", ">", 0.05, "10m", "5m"),
    ("latency p95 > 8s for 5m", {"agent": "planner"}, "MetricAbove", ">", 8.0, "5m", "5m"),
    ("tokens rate of change > 200% over 1h", {}, "RateOfChange", ">", 200.0, "1h", "5m"),
    ("requests < 1 per 15m", {}, "MetricBelow", "<", 1.0, "15m", "5m"),
    ("tool error rate above 10% over 30m for 2m", {"agent": "planner"}, "ErrorRate", ">", 0.10, "30m", "2m"),
    ("unpriced requests > 0 over 1h", {}, "MetricAbove", ">", 0.0, "1h", "5m"),
    ("latency p99 below 800ms", {"service": "bot"}, "MetricBelow", "<", 0.8, "5m", "5m"),
    ("cost > $5 per hour", {}, "MetricAbove", ">", 5.0, "1h", "5m"),
]


@pytest.mark.parametrize("words, scope, kind, op, threshold, where, for_", EXAMPLES)
def test_words_map_onto_the_condition_kinds(words, scope, kind, op, threshold, where, for_):
    rule = oneline.parse(words, scope)
    assert (rule.kind, rule.op, rule.for_) == (kind, op, for_)
    assert rule.threshold == pytest.approx(threshold)
    assert (rule.period or rule.window) == where
    assert oneline.CAMEL.match(oneline.default_name(rule))


@pytest.mark.parametrize("words, scope", [(e[0], e[1]) for e in EXAMPLES])
def test_generated_rule_file_passes_promtool(promtool, tmp_path, words, scope):
    rule = oneline.parse(words, scope)
    alert = oneline.to_alert(rule, name=oneline.default_name(rule), severity="critical", channels=("slack",))
    name, text = oneline.rule_file(alert, BASE)
    path = tmp_path / name
    path.write_text(text)
    res = run([promtool, "check", "rules", str(path)])
    assert res.returncode == 0, res.stdout + res.stderr
    loaded = yaml.safe_load(text)["groups"][0]["rules"][0]
    assert loaded["labels"] == {"severity": "critical", "component": "custom", "channels": "slack"}
    assert "{{" not in loaded["annotations"]["summary"]  # static summary, templated description
    assert loaded["annotations"]["runbook_url"] == f"{BASE}#custom-alerts"
    assert oneline.from_rule(loaded) == rule  # `alerts test NAME` rebuilds the same rule


def test_scoped_error_rate_fires_only_for_its_model(promtool, tmp_path):
    """gpt-4o fails 10% of calls (> 5%), claude 50% but is out of scope."""
    rule = oneline.parse("error rate > 5% over 10m for 2m", {"model": "gpt-4o"})
    alert = oneline.to_alert(rule, name="GptErrors", severity="warning", channels=())
    name, text = oneline.rule_file(alert, BASE)
    (tmp_path / name).write_text(text)
    count = "gen_ai_client_operation_duration_seconds_count"
    tests = {"rule_files": [name], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [
            {"series": f'{count}{{job="a",gen_ai_request_model="gpt-4o"}}', "values": "0+9x30"},
            {"series": f'{count}{{job="a",gen_ai_request_model="gpt-4o",error_type="Timeout"}}', "values": "0+1x30"},
            {"series": f'{count}{{job="a",gen_ai_request_model="claude"}}', "values": "0+1x30"},
            {"series": f'{count}{{job="a",gen_ai_request_model="claude",error_type="Timeout"}}', "values": "0+1x30"}],
        "alert_rule_test": [
            {"alertname": "GptErrors", "eval_time": "2m", "exp_alerts": []},  # pending: for 2m
            {"alertname": "GptErrors", "eval_time": "4m", "exp_alerts": [{
                "exp_labels": {"severity": "warning", "component": "custom"},
                "exp_annotations": yaml.safe_load(text)["groups"][0]["rules"][0]["annotations"]
                | {"description": "Error rate is 10%; rule: error rate > 5% over 10m for 2m (model=gpt-4o)."}}]}],
    }]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests))
    res = run([promtool, "test", "rules", "t.yml"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_requests_below_fires_when_nothing_arrives(promtool, tmp_path):
    rule = oneline.parse("requests < 1 per 15m for 1m")
    name, text = oneline.rule_file(oneline.to_alert(rule, name="AgentsSilent", severity="info", channels=()), BASE)
    (tmp_path / name).write_text(text)
    count = "gen_ai_client_operation_duration_seconds_count"
    tests = {"rule_files": [name], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        # 5 calls a minute for 10 minutes, then silence: quiet for 15m from minute 25
        "input_series": [{"series": f'{count}{{job="a"}}', "values": "0+5x10 50x40"}],
        "alert_rule_test": [
            {"alertname": "AgentsSilent", "eval_time": "20m", "exp_alerts": []},
            {"alertname": "AgentsSilent", "eval_time": "30m", "exp_alerts": [
                {"exp_labels": {"severity": "info", "component": "custom"},
                 "exp_annotations": yaml.safe_load(text)["groups"][0]["rules"][0]["annotations"]
                 | {"description": "Requests is 0; rule: requests < 1 per 15m for 1m."}}]}],
    }]}
    (tmp_path / "t.yml").write_text(yaml.safe_dump(tests))
    res = run([promtool, "test", "rules", "t.yml"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("words, scope, culprit", [
    ("costs > 5", {}, "'costs > 5'"),
    ("error rate > 5", {}, "percentage"),
    ("latency p95 > 8 USD", {}, "ms or s"),
    ("cost > 50 EUR per day", {}, "'cost > 50 EUR per day'"),
    ("requests < 1 per fortnight", {}, "'per fortnight'"),
    ("tokens rate of change > -50% over 1h", {}, "a drop"),
    ("cost < 5 USD per day", {}, "use '>'"),
    ("tool error rate > 5%", {"model": "gpt-4o"}, "--model"),
    ("error rate > 5%", {"agent": 'a"b'}, "--agent"),
])
def test_bad_words_name_the_culprit(words, scope, culprit):
    with pytest.raises(oneline.RuleError) as err:
        oneline.parse(words, scope)
    assert culprit in str(err.value) and "\n" not in str(err.value)


def test_scope_is_kept_for_alerts_test():
    rule = oneline.parse("error rate > 5%", {"model": "gpt-4o", "agent": "planner"})
    alert = oneline.to_alert(rule, name="X", severity="warning", channels=())
    assert json.loads(alert.annotations[oneline.SCOPE_ANNOTATION]) == {"agent": "planner", "model": "gpt-4o"}
    with pytest.raises(oneline.RuleError, match="--name"):
        oneline.check_name("not camel")

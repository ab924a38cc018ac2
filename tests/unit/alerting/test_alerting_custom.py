"""The condition templates, used through alerting.custom_alerts, checked by promtool against
hand-written series."""
from __future__ import annotations

import pytest
import yaml

from vibes_observe import alerting
from vibes_observe.alerting import AlertingConfigError

from .conftest import run

CUSTOM = [
    {"name": "GaugeJumped", "kind": "RateOfChange", "query": "sum(my_gauge)", "window": "10m", "percent": 50,
     "for": "0m", "severity": "info", "summary": "The gauge jumped.", "description": "Up {{ $value }}%."},
    {"name": "GaugeHigh", "kind": "MetricAbove", "query": "max(my_gauge)", "threshold": 150, "for": "0m",
     "summary": "The gauge is high.", "description": "Now {{ $value }}."},
    {"name": "OtherLow", "kind": "MetricBelow", "query": "min(other_gauge)", "threshold": 10, "for": "2m",
     "severity": "critical", "summary": "The other gauge is low.", "description": "Now {{ $value }}.",
     "runbook_url": "https://wiki.example.com/other-low"},
    {"name": "MyErrorRate", "kind": "ErrorRate", "metric": "my_requests_total", "by": ["job"], "window": "5m",
     "threshold": 0.2, "for": "1m", "summary": "My requests fail.", "description": "{{ $value }} failed."},
]

# Hand-written: my_gauge 100 until 9m then 200; other_gauge 50 until 4m then 5;
# job "a" fails 5 of 15 requests a minute (33% > 20%), job "b" 1 of 21.
TESTS = """
rule_files: [vibes-recording.yml, vibes-alerts.yml]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'my_gauge{instance="x"}'
        values: '100x9 200x20'
      - series: 'other_gauge{instance="x"}'
        values: '50x4 5x20'
      - series: 'my_requests_total{job="a"}'
        values: '0+10x20'
      - series: 'my_requests_total{job="a",error_type="Timeout"}'
        values: '0+5x20'
      - series: 'my_requests_total{job="b"}'
        values: '0+20x20'
      - series: 'my_requests_total{job="b",error_type="Timeout"}'
        values: '0+1x20'
    alert_rule_test:
      - {alertname: GaugeJumped, eval_time: 9m, exp_alerts: []}
      - alertname: GaugeJumped
        eval_time: 10m
        exp_alerts:
          - exp_labels: {severity: info, component: custom}
            exp_annotations: {summary: The gauge jumped., description: Up 100%., runbook_url: 'RUNBOOK#custom-alerts'}
      - {alertname: GaugeJumped, eval_time: 20m, exp_alerts: []}
      - {alertname: GaugeHigh, eval_time: 9m, exp_alerts: []}
      - alertname: GaugeHigh
        eval_time: 10m
        exp_alerts:
          - exp_labels: {severity: warning, component: custom}
            exp_annotations: {summary: The gauge is high., description: Now 200., runbook_url: 'RUNBOOK#custom-alerts'}
      - {alertname: OtherLow, eval_time: 6m, exp_alerts: []}
      - alertname: OtherLow
        eval_time: 7m
        exp_alerts:
          - exp_labels: {severity: critical, component: custom}
            exp_annotations: {summary: The other gauge is low., description: Now 5., runbook_url: 'https://wiki.example.com/other-low'}
      - {alertname: MyErrorRate, eval_time: 1m, exp_alerts: []}
      - alertname: MyErrorRate
        eval_time: 2m
        exp_alerts:
          - exp_labels: {severity: warning, component: custom, job: a}
            exp_annotations: {summary: My requests fail., description: 0.3333333333333333 failed., runbook_url: 'RUNBOOK#custom-alerts'}
"""


def test_condition_templates_fire_as_written(tmp_path, promtool):
    cfg = alerting.validate({"custom_alerts": CUSTOM, "runbook_base_url": "https://x.example/RUNBOOK"})
    for name, text in alerting.render_rule_files(cfg).items():
        (tmp_path / name).write_text(text)
    (tmp_path / "custom.test.yml").write_text(TESTS.replace("RUNBOOK#", "https://x.example/RUNBOOK#"))
    res = run([promtool, "test", "rules", "custom.test.yml"], cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    groups = {g["name"] for g in yaml.safe_load((tmp_path / "vibes-alerts.yml").read_text())["groups"]}
    assert "vibes-custom" in groups


@pytest.mark.parametrize("alert, message", [
    ({"name": "lowercase", "kind": "MetricAbove", "query": "x", "threshold": 1, "summary": "s.", "description": "d"},
     "alerting.custom_alerts[0].name: 'lowercase' must be a unique CamelCase alert name"),
    ({"name": "A", "kind": "Spike", "summary": "s.", "description": "d"},
     "alerting.custom_alerts[0].kind: 'Spike' is not one of MetricAbove, MetricBelow, RateOfChange, ErrorRate"),
    ({"name": "A", "kind": "MetricBelow", "query": "x", "summary": "s.", "description": "d"},
     "alerting.custom_alerts[0].threshold: missing"),
    ({"name": "A", "kind": "RateOfChange", "query": "x", "window": "soon", "percent": 5, "summary": "s.",
      "description": "d"}, "alerting.custom_alerts[0].window: 'soon' is not a duration"),
    ({"name": "A", "kind": "MetricAbove", "query": "x", "threshold": 1, "summary": "{{ $value }}",
      "description": "d"}, "alerting.custom_alerts[0].summary: must be a static sentence"),
    ({"name": "A", "kind": "ErrorRate", "metric": "m", "by": "job", "window": "5m", "threshold": 0.1,
      "summary": "s.", "description": "d"}, "alerting.custom_alerts[0].by: 'job' must be a list of label names"),
])
def test_custom_alert_errors_name_the_key(alert, message):
    with pytest.raises(AlertingConfigError) as err:
        alerting.validate({"custom_alerts": [alert]})
    assert message in str(err.value)

"""validate(): defaults, overrides, and errors that name the offending key."""
from __future__ import annotations

import pytest

from vibes_observe.alerting import AlertingConfigError, validate


def test_defaults_ship_daily_and_monthly_budgets_and_a_file_channel():
    cfg = validate(None)
    assert [(b.name, b.amount, b.period) for b in cfg.budgets] == [("daily", 50.0, "day"),
                                                                    ("monthly", 1000.0, "month")]
    assert [(c.name, c.type) for c in cfg.channels] == [("local", "file")]
    assert cfg.ledger_interval == "1m"
    assert validate({}) == cfg


def test_overrides_merge_thresholds_and_replace_budgets():
    cfg = validate({"thresholds": {"llm_error_rate": {"warning": 0.2}},
                    "budgets": [{"name": "cc", "amount": 10, "period": "week", "cost_center": "research"}]})
    assert cfg.thresholds["llm_error_rate"]["warning"] == 0.2
    assert cfg.thresholds["llm_error_rate"]["critical"] == 0.25  # untouched default
    assert len(cfg.budgets) == 1 and cfg.budgets[0].scope == {"vibes_cost_center": "research"}


@pytest.mark.parametrize("section, message", [
    ({"budgets": [{"name": "a", "amount": 1, "period": "day"},
                  {"name": "b", "amount": 1, "period": "fortnight"}]},
     "alerting.budgets[1].period: 'fortnight' is not one of day, week, month"),
    ({"budgets": [{"name": "a", "amount": -3, "period": "day"}]}, "alerting.budgets[0].amount: -3"),
    ({"budgets": [{"name": "a", "amount": "ten", "period": "day"}]},
     "alerting.budgets[0].amount: 'ten' is not a number"),
    ({"budgets": [{"amount": 1, "period": "day"}]}, "alerting.budgets[0].name: missing"),
    ({"budgets": [{"name": "a", "amount": 1, "period": "day"}, {"name": "a", "amount": 2, "period": "day"}]},
     "alerting.budgets[1].name: 'a' is used by another budget"),
    ({"budgets": [{"name": "a", "amount": 1, "period": "day", "team": "x"}]}, "alerting.budgets[0].team: unknown key"),
    ({"budgets": [{"name": "a", "amount": 1, "period": "day", "model": 'x"y'}]}, "alerting.budgets[0].model"),
    ({"budgets": {"name": "a"}}, "alerting.budgets: expected a list"),
    ({"thresholds": {"llm_error_rate": {"warning": 5}}}, "alerting.thresholds.llm_error_rate.warning: 5"),
    ({"thresholds": {"llm_error_rate": {"for": "ten minutes"}}},
     "alerting.thresholds.llm_error_rate.for: 'ten minutes' is not a duration"),
    ({"thresholds": {"nope": {}}}, "alerting.thresholds.nope: unknown threshold"),
    ({"thresholds": {"agent_iterations": {"max_calls": 30}}},
     "alerting.thresholds.agent_iterations.max_calls: 30 is not one of the histogram bucket bounds"),
    ({"channels": [{"type": "pager"}]}, "alerting.channels[0].type: 'pager' is not one of console, file, webhook, slack, email"),
    ({"channels": [{"type": "slack", "api_url": "https://hooks.slack.com/services/x"}]},
     "alerting.channels[0].api_url: secrets are never written in the config"),
    ({"channels": [{"type": "email", "to": "a@b", "from": "c@d", "smarthost": "h:25", "auth_password": "pw"}]},
     "alerting.channels[0].auth_password: secrets are never written"),
    ({"channels": [{"type": "email", "to": "a@b", "smarthost": "h:25"}]}, "alerting.channels[0].from: missing"),
    ({"channels": [{"type": "webhook"}]}, "alerting.channels[0].url: missing"),
    ({"channels": [{"type": "file", "severities": ["critical", "page"]}]},
     "alerting.channels[0].severities[1]: 'page' is not one of critical, warning, info"),
    ({"channels": [{"type": "file", "name": "x"}, {"type": "console", "name": "x"}]}, "alerting.channels[1].name"),
    ({"routing": {"repeat_interval": {"critical": "soon"}}}, "alerting.routing.repeat_interval.critical: 'soon'"),
    ({"ledger_interval": 60}, "alerting.ledger_interval: 60 is not a duration"),
    ({"ledger_interval": "7s"}, "alerting.ledger_interval: '7s' must be whole seconds that divide a minute"),
    ({"runbook_base_url": "wiki/runbook"}, "alerting.runbook_base_url: 'wiki/runbook'"),
    ({"budget": []}, "alerting.budget: unknown key"),
    ("yes", "alerting: expected a mapping"),
])
def test_errors_name_the_key(section, message):
    with pytest.raises(AlertingConfigError) as err:
        validate(section)
    assert message in str(err.value)
    assert isinstance(err.value, ValueError)


def test_the_stack_example_alerting_block_validates():
    """stack/stack.example.yaml shows an alerting block (commented out): it must stay valid."""
    import re
    from pathlib import Path

    import yaml

    text = (Path(__file__).resolve().parents[3] / "stack" / "stack.example.yaml").read_text()
    block = text[text.index("# alerting:"):]
    lines = [re.sub(r"^# ?", "", line) for line in block.splitlines() if line.startswith("#")]
    cfg = validate(yaml.safe_load("\n".join(lines))["alerting"])
    assert [b.period for b in cfg.budgets] == ["day", "month"]
    assert {c.type for c in cfg.channels} == {"file", "slack", "email"}

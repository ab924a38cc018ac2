"""Rule files: promtool check + the hand-written promtool tests + mixin-convention lint."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from vibes_observe import alerting
from vibes_observe.alerting import defaults

from .conftest import REPO, RULES_DIR, run

RUNBOOK = RULES_DIR / "RUNBOOK.md"
RULE_FILES = sorted(RULES_DIR.glob("*.yml"))
TEST_FILES = sorted((RULES_DIR / "tests").glob("*.test.yml"))


def _alert_rules(files=RULE_FILES) -> list[dict]:
    out = []
    for f in files:
        for group in yaml.safe_load(f.read_text())["groups"]:
            out += [dict(r, _group=group["name"]) for r in group["rules"] if "alert" in r]
    return out


def test_committed_rule_files_exist():
    assert {f.name for f in RULE_FILES} == {"vibes-recording.yml", "vibes-alerts.yml"}
    assert TEST_FILES, "alert_rules/tests/*.test.yml missing"


def test_promtool_check_rules(promtool):
    res = run([promtool, "check", "rules", *map(str, RULE_FILES)])
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("test_file", TEST_FILES, ids=lambda p: p.name)
def test_promtool_test_rules(promtool, test_file):
    res = run([promtool, "test", "rules", test_file.name], cwd=test_file.parent)
    assert res.returncode == 0, res.stdout + res.stderr


def _expectations() -> dict[tuple, dict[int, bool]]:
    """(alertname, severity, budget) -> {eval minute: expected firing?} over all test files."""
    out: dict[tuple, dict[int, bool]] = {}
    for f in TEST_FILES:
        for case in yaml.safe_load(f.read_text())["tests"]:
            for t in case.get("alert_rule_test", []):
                minute = int(re.fullmatch(r"(\d+)m", t["eval_time"]).group(1))
                firing = {(t["alertname"], a["exp_labels"].get("severity"), a["exp_labels"].get("budget"))
                          for a in t.get("exp_alerts") or []}
                for rule in _alert_rules():
                    if rule["alert"] == t["alertname"]:
                        key = (rule["alert"], rule["labels"]["severity"], rule["labels"].get("budget"))
                        out.setdefault(key, {})[minute] = key in firing
    return out


def test_every_alert_has_firing_and_not_firing_cases():
    """Each alert rule needs a case expecting it to fire and one expecting silence."""
    exp = _expectations()
    for rule in _alert_rules():
        key = (rule["alert"], rule["labels"]["severity"], rule["labels"].get("budget"))
        assert True in exp.get(key, {}).values(), f"{key}: no firing case"
        if rule["alert"] != "Watchdog":  # fires by design at all times
            assert False in exp.get(key, {}).values(), f"{key}: no not-firing case"


def test_every_alert_has_boundary_case():
    """Silent at some minute and firing one evaluation later: the `for:` (or threshold) boundary."""
    exp = _expectations()
    for rule in _alert_rules():
        if rule["alert"] == "Watchdog":
            continue
        key = (rule["alert"], rule["labels"]["severity"], rule["labels"].get("budget"))
        times = exp.get(key, {})
        assert any(not f and times.get(m + 1) for m, f in times.items()), f"{key}: no boundary case"


def _slugs(markdown: str) -> set[str]:
    slugs = set()
    for line in markdown.splitlines():
        if line.startswith("#"):
            text = line.lstrip("#").strip().lower()
            slugs.add(re.sub(r"[^a-z0-9 _-]", "", text).replace(" ", "-"))
    return slugs


@pytest.mark.parametrize("rule", _alert_rules(), ids=lambda r: f"{r['alert']}-{r['labels']['severity']}")
def test_alert_follows_mixin_conventions(rule):
    name = rule["alert"]
    assert re.fullmatch(r"([A-Z][a-z0-9]*|LLM)+", name), f"{name} is not CamelCase"
    labels, ann = rule["labels"], rule["annotations"]
    assert labels["severity"] in ("critical", "warning", "info")
    assert labels["component"] and rule["_group"] == f"vibes-{labels['component']}", "grouped by component"
    assert set(ann) == {"summary", "description", "runbook_url"}
    assert "{{" not in ann["summary"] and ann["summary"].endswith("."), "summary must be a static sentence"
    if name != "Watchdog":  # the heartbeat has nothing to template
        assert "{{" in ann["description"], "description must be templated"
    url = ann["runbook_url"]
    assert url.startswith(defaults.RUNBOOK_BASE_URL + "#")
    assert url.split("#", 1)[1] in _slugs(RUNBOOK.read_text()), f"{url}: anchor not in RUNBOOK.md"


def test_runbook_sections_complete():
    text = RUNBOOK.read_text()
    for name in {r["alert"] for r in _alert_rules()}:
        section = text.split(f"## {name}\n", 1)[1].split("\n## ", 1)[0]
        for heading in ("### Meaning", "### Impact", "### Diagnosis", "### Mitigation"):
            assert heading in section, f"{name}: {heading} missing"


def test_watchdog_and_shipped_defaults_present():
    names = {r["alert"] for r in _alert_rules()}
    assert {"Watchdog", "LLMErrorRateHigh", "LLMLatencyHigh", "ToolErrorRateHigh", "AgentIterationRunaway",
            "CostBudgetExceeded", "CostBudgetForecastExceeded", "LLMUnpricedModelSeen",
            "CollectorRefusingData", "CollectorDroppingData", "CollectorExporterQueueNearlyFull",
            "TargetDown"} <= names
    budgets = {r["labels"].get("budget") for r in _alert_rules() if r["alert"] == "CostBudgetExceeded"}
    assert budgets == {"daily", "monthly"}


def test_metric_names_come_from_names_module():
    """Every SDK metric the rules query is a name `vibes_sdk.names` derives."""
    from vibes_sdk import names
    known = set()
    for inst in names.INSTRUMENTS:
        known |= {inst.prom, inst.prom_bucket, inst.prom_count, inst.prom_sum}
    exprs = " ".join(r["expr"] for f in RULE_FILES for g in yaml.safe_load(f.read_text())["groups"]
                     for r in g["rules"])
    exprs = re.sub(r'label_replace\(.*?"vibes_block"', "", exprs)  # our own helper label
    used = set(re.findall(r"\b((?:gen_ai|vibes)_[a-z0-9_]+)\b", exprs))
    labels = {names.prom_label(a) for a in vars(names).values() if isinstance(a, str) and "." in a}
    unknown = used - known - labels
    assert not unknown, f"rule files name metrics that vibes_sdk.names does not define: {sorted(unknown)}"


def test_custom_budgets_render_valid_rules(tmp_path, promtool):
    cfg = alerting.validate({
        "ledger_interval": "15s", "evaluation_interval": "10s",
        "budgets": [{"name": "team-a", "amount": 5, "period": "week", "cost_center": "team-a"},
                    {"name": "gpt", "amount": 2.5, "period": "day", "model": "gpt-4o", "agent": "planner"}],
        "thresholds": {"llm_error_rate": {"warning": 0.1, "for": "1m"}, "agent_iterations": {"max_calls": 16}},
    })
    files = alerting.render_rule_files(cfg)
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    res = run([promtool, "check", "rules", *sorted(str(tmp_path / n) for n in files)])
    assert res.returncode == 0, res.stdout + res.stderr
    alerts = _alert_rules(sorted(tmp_path.glob("*.yml")))
    exceeded = {r["labels"]["budget"]: r["expr"] for r in alerts if r["alert"] == "CostBudgetExceeded"}
    assert exceeded["team-a"] == 'sum(vibes:llm_cost_usd:week{vibes_cost_center="team-a"}) >= 5'
    assert exceeded["gpt"] == ('sum(vibes:llm_cost_usd:day{gen_ai_request_model="gpt-4o",'
                               'gen_ai_agent_name="planner"}) >= 2.5')
    ledger = yaml.safe_load(files["vibes-recording.yml"])["groups"][0]
    assert ledger["interval"] == "15s" and "offset 15s" in ledger["rules"][0]["expr"]
    assert any('le=~"16|16\\\\.0"' in r["expr"] for r in alerts if r["alert"] == "AgentIterationRunaway")

"""Alerts end to end on the live native stack.

vibes_sdk → collector → Prometheus (our generated rules) → Alertmanager (our rendered
config) → every channel: the console/file receiver, a webhook endpoint, a Slack
incoming-webhook stand-in and a real SMTP server. A cost budget alert and an error-rate
alert fire; the error-rate alert then resolves and the resolution is delivered too.
"""
from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid

import pytest
from alerting_sinks import HttpRecorder, SmtpRecorder
from conftest import poll, live_sdk_settings

import vibes_sdk as vibes

MODEL = "vt-alert-model"
# $1 per 1M input tokens, $2 per 1M output tokens: 10,000 in + 1,000 out = $0.012 a call.
PRICE_FILE = {"currency": "USD", "unit": "per_1M_tokens",
              "models": {MODEL: {"provider": "vibes-test", "input": 1.0, "output": 2.0}}}
COST_PER_CALL = 10_000 * 1.0 / 1e6 + 1_000 * 2.0 / 1e6


class ModelOutage(Exception):
    pass


@pytest.fixture(scope="module")
def sinks():
    hook, slack, smtp = HttpRecorder(), HttpRecorder(), SmtpRecorder()
    yield {"hook": hook, "slack": slack, "smtp": smtp}
    hook.close()
    slack.close()
    smtp.close()


@pytest.fixture(scope="module")
def alerting_stack(stack, sinks, tmp_path_factory):
    secrets = tmp_path_factory.mktemp("alert-secrets")
    slack_url = secrets / "slack_api_url"
    slack_url.write_text(f"{sinks['slack'].url}/services/T000/B000/XXXXSECRET\n")
    slack_url.chmod(0o600)
    env = {"VIBES_LIVE_WEBHOOK_URL": f"{sinks['hook'].url}/hook?token=from-env"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    cost_center = f"alert-live-{uuid.uuid4().hex[:6]}"
    stack.redeploy({"alerting": {
        "ledger_interval": "2s",
        "evaluation_interval": "2s",
        "budgets": [{"name": "live-budget", "amount": 0.05, "period": "day", "cost_center": cost_center}],
        "thresholds": {"llm_error_rate": {"warning": 0.3, "critical": 0.95, "window": "20s", "for": "4s"}},
        "channels": [
            {"name": "console", "type": "console", "severities": ["critical", "warning"]},
            {"name": "jsonl", "type": "file", "severities": ["critical", "warning"]},
            {"name": "hook", "type": "webhook", "url_env": "VIBES_LIVE_WEBHOOK_URL", "severities": ["critical", "warning"]},
            {"name": "slack", "type": "slack", "api_url_file": str(slack_url), "channel": "#vibes-alerts",
             "severities": ["critical", "warning"]},
            {"name": "mail", "type": "email", "to": "oncall@example.test", "from": "vibes@example.test",
             "smarthost": f"127.0.0.1:{sinks['smtp'].port}", "require_tls": False, "severities": ["critical"]},
        ],
        "routing": {"group_wait": "1s", "group_interval": "2s",
                    "repeat_interval": {"critical": "1h", "warning": "1h", "info": "1h"}},
    }})
    yield {"cost_center": cost_center}
    # the recorders close with this module: back to the session's config (file receiver)
    stack.reset()
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def test_rendered_alertmanager_config_is_private(stack, alerting_stack):
    """The stack's renderings of our config: valid for amtool and promtool; the Alertmanager file
    holds the webhook URL resolved from an env var, so it is 0600."""
    configs = list(stack.state_dir.rglob("alertmanager.yml"))
    assert configs, "no rendered alertmanager.yml in the state dir"
    for path in configs:
        assert path.stat().st_mode & 0o777 == 0o600, f"{path}: {oct(path.stat().st_mode & 0o777)}"
        assert "token=from-env" in path.read_text()
        res = subprocess.run(["/usr/bin/amtool", "check-config", str(path)], capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
    rules = [p for p in stack.state_dir.rglob("vibes-*.yml") if p.parent.name == "rules"]
    assert {p.name for p in rules} >= {"vibes-recording.yml", "vibes-alerts.yml"}
    res = subprocess.run(["/usr/bin/promtool", "check", "rules", *map(str, rules)], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "live-budget" in "".join(p.read_text() for p in rules)


def _file_alerts(stack) -> list[dict]:
    path = stack.alert_receiver_file
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def _hook_alerts(recorder: HttpRecorder) -> list[dict]:
    return [dict(a, _path=r["path"]) for r in recorder.snapshot() for a in r["json"].get("alerts", [])]


def test_budget_and_error_rate_alerts_are_delivered_and_resolved(stack, alerting_stack, sinks, tmp_path, prom_query):
    service = f"alert-live-{uuid.uuid4().hex[:8]}"
    price_file = tmp_path / "prices.json"
    price_file.write_text(json.dumps(PRICE_FILE))
    vibes.init(service_name=service, **live_sdk_settings(stack), price_file=str(price_file))
    failing = threading.Event()
    failing.set()
    stop = threading.Event()
    calls = {"ok": 0, "failed": 0}

    def workload() -> None:
        with vibes.session(f"s-{service}", user_id="alert-user", cost_center=alerting_stack["cost_center"]), \
                vibes.agent("alert-agent"):
            while not stop.is_set():
                with vibes.llm_call(model=MODEL, provider="vibes-test") as call:
                    call.record_usage(10_000, 1_000)
                calls["ok"] += 1
                if failing.is_set():
                    try:
                        with vibes.llm_call(model=MODEL, provider="vibes-test"):
                            raise ModelOutage("provider down")
                    except ModelOutage:
                        calls["failed"] += 1
                time.sleep(0.5)

    worker = threading.Thread(target=workload, daemon=True)
    worker.start()
    try:
        # --- both alerts fire in Prometheus and reach every channel
        def fired(name: str, **labels: str):
            return [a for a in _file_alerts(stack) if a["alertname"] == name and a["status"] == "firing"
                    and all(a["labels"].get(k) == v for k, v in labels.items())]

        budget = poll(lambda: fired("CostBudgetExceeded", budget="live-budget"), timeout=150,
                      what="CostBudgetExceeded in the file receiver")[0]
        assert budget["severity"] == "critical" and budget["channel"] == "jsonl"
        assert budget["annotations"]["summary"] == "A cost budget is exceeded."
        assert "Budget live-budget (vibes_cost_center=" in budget["annotations"]["description"]
        assert budget["annotations"]["runbook_url"].endswith("/alert_rules/RUNBOOK.md#costbudgetexceeded")
        errors = poll(lambda: fired("LLMErrorRateHigh", job=service), timeout=150,
                      what=f"LLMErrorRateHigh for {service} in the file receiver")[0]
        assert errors["severity"] == "warning"  # 50% failed: above 30%, below the 95% critical
        assert errors["labels"]["gen_ai_request_model"] == MODEL

        console = stack.log_tail("alert-receiver", 400)
        assert '"channel": "console"' in console and '"alertname": "CostBudgetExceeded"' in console

        hook = poll(lambda: {a["labels"]["alertname"] for a in _hook_alerts(sinks["hook"]) if a["status"] == "firing"}
                    >= {"CostBudgetExceeded", "LLMErrorRateHigh"} and _hook_alerts(sinks["hook"]),
                    timeout=60, what="both alerts at the webhook")
        assert all(a["_path"] == "/hook?token=from-env" for a in hook), "webhook URL from the env var"

        def slack_titles():
            return [att.get("title", "") for r in sinks["slack"].snapshot() for att in r["json"].get("attachments", [])]
        def slack_budget():
            return [r for r in sinks["slack"].snapshot() if "CostBudgetExceeded" in
                    r["json"]["attachments"][0].get("title", "") and "live-budget" in r["json"]["attachments"][0]["text"]]
        slack = poll(slack_budget, timeout=60, what="the budget alert on Slack")[0]
        assert slack["path"] == "/services/T000/B000/XXXXSECRET", "Slack URL read from the *_file secret"
        assert slack["json"]["channel"] == "#vibes-alerts"
        assert "A cost budget is exceeded." in slack["json"]["attachments"][0]["text"]

        mail = poll(lambda: [m for m in sinks["smtp"].snapshot() if "CostBudgetExceeded" in m["subject"]
                             and "live-budget" in m["body"]], timeout=60, what="the budget alert e-mail")[0]
        assert mail["to"] == ["oncall@example.test"] and mail["from"] == "vibes@example.test"
        assert "A cost budget is exceeded." in mail["subject"] and "A cost budget is exceeded." in mail["body"]
        assert "live-budget" in mail["body"]

        # --- the figure the alert fired on is the exact spend (no extrapolation)
        assert calls["ok"] >= 5

        # --- errors stop: the error-rate alert resolves and the resolution is delivered
        failing.clear()
        poll(lambda: [a for a in _file_alerts(stack) if a["alertname"] == "LLMErrorRateHigh"
                      and a["status"] == "resolved" and a["labels"].get("job") == service],
             timeout=120, what="LLMErrorRateHigh resolved in the file receiver")
        poll(lambda: [a for a in _hook_alerts(sinks["hook"]) if a["labels"]["alertname"] == "LLMErrorRateHigh"
                      and a["status"] == "resolved"], timeout=60, what="resolution at the webhook")
        poll(lambda: any(t.startswith("[RESOLVED]") and "LLMErrorRateHigh" in t for t in slack_titles()),
             timeout=60, what="resolution on Slack")
    finally:
        stop.set()
        worker.join(10)
        vibes.shutdown(10)

    # --- after the workload: the budget's spend equals what the SDK spent, to the cent
    def spent():
        res = prom_query('vibes:budget_usd:spent{budget="live-budget"}')
        return res and abs(float(res[0]["value"][1]) - calls["ok"] * COST_PER_CALL) < 1e-9 and res
    poll(spent, timeout=120, what=f"budget spend == {calls['ok']} calls x ${COST_PER_CALL}")


def _post_alerts(stack, alerts: list[dict]) -> None:
    import urllib.request
    req = urllib.request.Request(f"{stack.alertmanager_url}/api/v2/alerts", data=json.dumps(alerts).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        assert resp.status == 200


def test_real_alertmanager_inhibits_and_routes_as_rendered(stack, alerting_stack):
    """Synthetic alerts into the live Alertmanager: critical mutes the same alert's warning (same
    job and model, not another model's), Watchdog goes to its own receiver."""
    from conftest import http_json

    job = f"inhibit-{uuid.uuid4().hex[:6]}"
    base = {"alertname": "LLMErrorRateHigh", "component": "llm", "job": job}
    ann = {"summary": "Synthetic alert.", "description": "synthetic"}
    _post_alerts(stack, [
        {"labels": {**base, "severity": "critical", "gen_ai_request_model": "m1"}, "annotations": ann},
        {"labels": {**base, "severity": "warning", "gen_ai_request_model": "m1"}, "annotations": ann},
        {"labels": {**base, "severity": "warning", "gen_ai_request_model": "m2"}, "annotations": ann},
        {"labels": {"alertname": "CostBudgetExceeded", "component": "cost", "severity": "critical",
                    "budget": f"b-{job}", "period": "day"}, "annotations": ann},
        {"labels": {"alertname": "CostBudgetForecastExceeded", "component": "cost", "severity": "warning",
                    "budget": f"b-{job}", "period": "day"}, "annotations": ann},
        {"labels": {"alertname": "Watchdog", "component": "stack", "severity": "info", "job": job},
         "annotations": ann},
    ])

    def state():
        alerts = http_json(f"{stack.alertmanager_url}/api/v2/alerts")
        mine = {(a["labels"]["alertname"], a["labels"]["severity"], a["labels"].get("gen_ai_request_model", "")):
                a for a in alerts if a["labels"].get("job") == job or a["labels"].get("budget") == f"b-{job}"}
        if len(mine) != 6 or any(a["status"]["state"] == "unprocessed" for a in mine.values()):
            return None
        # The inhibitor learns about source alerts asynchronously (it subscribes to the alert
        # store), so an alert can be "active" a moment before its inhibition is known: wait until
        # the expected sources have been seen, then check every verdict below.
        sources_seen = (mine[("LLMErrorRateHigh", "warning", "m1")]["status"]["inhibitedBy"]
                        and mine[("CostBudgetForecastExceeded", "warning", "")]["status"]["inhibitedBy"])
        return mine if sources_seen else None

    mine = poll(state, timeout=30, what="the synthetic alerts processed by Alertmanager, inhibitions applied")
    assert mine[("LLMErrorRateHigh", "warning", "m1")]["status"]["inhibitedBy"], "critical must mute its warning"
    assert not mine[("LLMErrorRateHigh", "warning", "m2")]["status"]["inhibitedBy"], "another model stays visible"
    assert not mine[("LLMErrorRateHigh", "critical", "m1")]["status"]["inhibitedBy"]
    assert mine[("CostBudgetForecastExceeded", "warning", "")]["status"]["inhibitedBy"]
    assert [r["name"] for r in mine[("Watchdog", "info", "")]["receivers"]] == ["watchdog"]
    assert [r["name"] for r in mine[("LLMErrorRateHigh", "critical", "m1")]["receivers"]] == ["critical"]

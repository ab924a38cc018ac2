"""Alertmanager rendering: amtool check-config on every rendering, amtool routes per route."""
from __future__ import annotations

import stat

import pytest
import yaml

from vibes_observe.alerting import AlertingConfigError, render_alertmanager_config, validate

from .conftest import REPO, run

RECEIVER = "http://127.0.0.1:9097/alerts"


@pytest.fixture
def secrets(tmp_path, monkeypatch):
    slack = tmp_path / "slack_url"
    slack.write_text("https://hooks.slack.example/services/T0/B0/XYZ\n")
    pw = tmp_path / "smtp_pw"
    pw.write_text("s3cret\n")
    hook = tmp_path / "hook_url"
    hook.write_text("http://127.0.0.1:9999/hook?token=abc\n")
    for f in (slack, pw, hook):
        f.chmod(stat.S_IRUSR | stat.S_IWUSR)
    monkeypatch.setenv("VIBES_TEST_WEBHOOK", "http://127.0.0.1:9998/env-hook")
    monkeypatch.setenv("VIBES_TEST_SMTP_PW", "from-env")
    return {"slack": str(slack), "pw": str(pw), "hook": str(hook)}


def _full(secrets) -> dict:
    return {"channels": [
        {"name": "console", "type": "console", "severities": ["info"]},
        {"name": "jsonl", "type": "file"},
        {"name": "ops-hook", "type": "webhook", "url_file": secrets["hook"], "severities": ["critical"]},
        {"name": "env-hook", "type": "webhook", "url_env": "VIBES_TEST_WEBHOOK", "severities": ["warning"]},
        {"name": "slack", "type": "slack", "api_url_file": secrets["slack"], "channel": "#alerts",
         "severities": ["critical", "warning"]},
        {"name": "mail", "type": "email", "to": "oncall@example.com", "from": "vibes@example.com",
         "smarthost": "127.0.0.1:2525", "auth_username": "vibes", "auth_password_file": secrets["pw"],
         "require_tls": False, "severities": ["critical"]},
        {"name": "mail-env", "type": "email", "to": "b@example.com", "from": "vibes@example.com",
         "smarthost": "127.0.0.1:2525", "auth_username": "vibes", "auth_password_env": "VIBES_TEST_SMTP_PW",
         "severities": ["critical"]},
    ], "watchdog": {"url": "http://127.0.0.1:9996/heartbeat"},
        "routing": {"repeat_interval": {"critical": "30m"}}}


def _check(amtool, tmp_path, text: str, name="am.yml"):
    path = tmp_path / name
    path.write_text(text)
    res = run([amtool, "check-config", str(path)])
    assert res.returncode == 0, res.stdout + res.stderr
    return path


def test_committed_default_rendering_is_current_and_valid(amtool, tmp_path):
    committed = (REPO / "provisioning/alertmanager/alertmanager.yml").read_text()
    assert committed == render_alertmanager_config(validate(None), receiver_url=RECEIVER)
    _check(amtool, tmp_path, committed)


def test_every_channel_type_renders_valid_config(amtool, tmp_path, secrets):
    text = render_alertmanager_config(validate(_full(secrets)), receiver_url=RECEIVER)
    _check(amtool, tmp_path, text)
    doc = yaml.safe_load(text)
    receivers = {r["name"]: r for r in doc["receivers"]}
    crit = receivers["critical"]
    assert [w["url"] for w in crit["webhook_configs"]] == [
        RECEIVER + "?sink=file&channel=jsonl", "http://127.0.0.1:9999/hook?token=abc"]
    assert crit["slack_configs"][0]["api_url_file"] == secrets["slack"]  # read by Alertmanager
    assert crit["email_configs"][0]["auth_password_file"] == secrets["pw"]
    assert crit["email_configs"][1]["auth_password"] == "from-env"  # no *_file in AM: resolved
    assert [w["url"] for w in receivers["warning"]["webhook_configs"]] == [
        RECEIVER + "?sink=file&channel=jsonl", "http://127.0.0.1:9998/env-hook"]
    assert [w["url"] for w in receivers["info"]["webhook_configs"]] == [
        RECEIVER + "?sink=console&channel=console", RECEIVER + "?sink=file&channel=jsonl"]
    assert receivers["watchdog"]["webhook_configs"][0]["url"] == "http://127.0.0.1:9996/heartbeat"
    assert "s3cret" not in text and "XYZ" not in text, "file secrets must stay in their files"


@pytest.mark.parametrize("labels, receiver", [
    ("alertname=Watchdog severity=info", "watchdog"),
    ("alertname=CostBudgetExceeded severity=critical budget=daily", "critical"),
    ("alertname=LLMErrorRateHigh severity=warning job=svc", "warning"),
    ("alertname=LLMUnpricedModelSeen severity=info", "info"),
    ("alertname=Something", "null"),
    # one-line rules naming channels go to exactly those, whatever their severity
    ("alertname=Mine severity=critical channels=slack", "channel-slack"),
    ("alertname=Mine severity=info channels=mail,ops-hook", "channel-ops-hook,channel-mail"),
    ("alertname=Mine severity=warning channels=slackish", "null"),
    # `alerts test --notify`: one channel per test alert
    ("alertname=Mine severity=warning channels=jsonl vibes_test=true", "channel-jsonl"),
])
def test_routes(amtool, tmp_path, secrets, labels, receiver):
    path = _check(amtool, tmp_path, render_alertmanager_config(validate(_full(secrets)), receiver_url=RECEIVER))
    res = run([amtool, "config", "routes", "test", f"--config.file={path}", "--verify.receivers=" + receiver,
               *labels.split()])
    assert res.returncode == 0, f"{labels} -> {res.stdout}{res.stderr}"
    assert res.stdout.strip() == receiver


def test_routing_settings(secrets):
    doc = yaml.safe_load(render_alertmanager_config(validate(_full(secrets)), receiver_url=RECEIVER))
    route = doc["route"]
    assert route["group_by"] == ["alertname", "component", "job", "budget"]
    repeat = {r["receiver"]: r["repeat_interval"] for r in route["routes"] if r["receiver"] != "null"}
    assert repeat == {"watchdog": "1m", "critical": "30m", "warning": "4h", "info": "24h"}
    inhibit = doc["inhibit_rules"][0]
    assert inhibit["source_matchers"] == ['severity="critical"']
    assert inhibit["target_matchers"] == ['severity=~"warning|info"']


def test_channel_receivers_hold_one_channel_each(secrets):
    cfg = validate(_full(secrets))
    doc = yaml.safe_load(render_alertmanager_config(cfg, receiver_url=RECEIVER))
    receivers = {r["name"]: r for r in doc["receivers"]}
    for ch in cfg.channels:
        integrations = [k for k in receivers[f"channel-{ch.name}"] if k.endswith("_configs")]
        assert len(integrations) == 1 and len(receivers[f"channel-{ch.name}"][integrations[0]]) == 1


def test_missing_secret_names_the_key(tmp_path, monkeypatch):
    monkeypatch.delenv("NOPE_NOT_SET", raising=False)
    cfg = validate({"channels": [{"type": "file"}, {"type": "webhook", "url_env": "NOPE_NOT_SET"}]})
    with pytest.raises(AlertingConfigError, match=r"alerting.channels\[1\].url_env: environment variable 'NOPE_NOT_SET'"):
        render_alertmanager_config(cfg, receiver_url=RECEIVER)
    cfg = validate({"channels": [{"type": "webhook", "url_file": str(tmp_path / "missing")}]})
    with pytest.raises(AlertingConfigError, match=r"alerting.channels\[0\].url_file: cannot read"):
        render_alertmanager_config(cfg, receiver_url=RECEIVER)

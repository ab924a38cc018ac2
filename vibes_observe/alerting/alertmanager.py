"""Alertmanager configuration: routes by severity, Watchdog apart, inhibit warning by critical.

Secrets: Slack's URL and the SMTP password stay in files Alertmanager reads itself
(``api_url_file``, ``auth_password_file``). Alertmanager 0.25 has no ``url_file`` for
webhooks and reads no environment variables, so ``*_env`` values and a webhook
``url_file`` are resolved here, at render time: the rendered file then holds the
secret and is written 0600 by the stack, never committed.
"""

from __future__ import annotations

import copy
import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

from vibes_observe.alerting import defaults as d
from vibes_observe.alerting.config import SEVERITIES, AlertingConfig, AlertingConfigError, Channel

NULL_RECEIVER = "null"
WATCHDOG_RECEIVER = "watchdog"


def _secret(key: str, options: dict[str, Any], name: str) -> str:
    """Value of ``name`` given inline, as ``name_file`` or as ``name_env``."""
    if name in options:
        return options[name]
    if f"{name}_env" in options:
        var = options[f"{name}_env"]
        value = os.environ.get(var)
        if not value:
            raise AlertingConfigError(f"{key}.{name}_env: environment variable {var!r} is not set")
        return value
    path = Path(options[f"{name}_file"])
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise AlertingConfigError(f"{key}.{name}_file: cannot read {str(path)!r} ({exc.strerror})") from None
    if not value:
        raise AlertingConfigError(f"{key}.{name}_file: {str(path)!r} is empty")
    return value


def _webhook(url: str, ch: Channel) -> dict[str, Any]:
    return {"url": url, "send_resolved": ch.send_resolved}


def _integration(ch: Channel, index: int, receiver_url: str) -> tuple[str, dict[str, Any]]:
    key = f"alerting.channels[{index}]"
    o = ch.options
    if ch.type in ("console", "file"):
        sink = urlencode({"sink": ch.type, "channel": ch.name})
        return "webhook_configs", _webhook(f"{receiver_url}?{sink}", ch)
    if ch.type == "webhook":
        return "webhook_configs", _webhook(_secret(key, o, "url"), ch)
    if ch.type == "slack":
        cfg: dict[str, Any] = {"send_resolved": ch.send_resolved}
        if "api_url_file" in o:
            cfg["api_url_file"] = o["api_url_file"]
        else:
            cfg["api_url"] = _secret(key, o, "api_url")
        if "channel" in o:
            cfg["channel"] = o["channel"]
        if "username" in o:
            cfg["username"] = o["username"]
        cfg["title"] = TITLE
        cfg["text"] = TEXT
        return "slack_configs", cfg
    # email
    cfg = {"to": o["to"], "from": o["from"], "smarthost": o["smarthost"],
           "send_resolved": ch.send_resolved, "require_tls": o.get("require_tls", True),
           "headers": {"Subject": TITLE},
           "html": HTML}
    if "hello" in o:
        cfg["hello"] = o["hello"]
    if "auth_username" in o:
        cfg["auth_username"] = o["auth_username"]
    if "auth_password_file" in o:
        cfg["auth_password_file"] = o["auth_password_file"]
    elif "auth_password_env" in o:
        cfg["auth_password"] = _secret(key, o, "auth_password")
    return "email_configs", cfg


# Notification texts, inline (contract: one YAML file, no template files).
TITLE = ('[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] '
         '{{ .CommonLabels.alertname }}: {{ .CommonAnnotations.summary }}')
TEXT = ('{{ range .Alerts }}*{{ .Labels.severity }}* {{ .Annotations.summary }}\n'
        '{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook_url }}\n{{ end }}')
HTML = ('<p>{{ .CommonAnnotations.summary }}</p><ul>{{ range .Alerts }}<li><b>{{ .Labels.alertname }}</b> '
        '({{ .Labels.severity }}, {{ .Status }}): {{ .Annotations.summary }}<br>'
        '{{ .Annotations.description }}<br><a href="{{ .Annotations.runbook_url }}">runbook</a></li>'
        '{{ end }}</ul>')



CHANNEL_RECEIVER = "channel-{name}"
CHANNELS_LABEL = "channels"  # set by one-line rules (`alerts add --channel`): comma-separated names
TEST_LABEL = "vibes_test"    # set on `alerts test --notify` notifications


def channel_routes(cfg: AlertingConfig, receiver_url: str, receivers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One receiver per channel and the routes that pick channels by the ``channels`` label.

    Test notifications come first and leave at once (group_wait 0s), one group each;
    an alert naming channels goes to exactly those, never on to the severity routes."""
    children = []
    for i, ch in enumerate(cfg.channels):
        name = CHANNEL_RECEIVER.format(name=ch.name)
        kind, integration = _integration(ch, i, receiver_url)
        receivers.append({"name": name, kind: [integration]})
        pattern = ch.name.replace(".", "[.]")
        children.append({"receiver": name, "matchers": [f'{CHANNELS_LABEL}=~"(.+,)?{pattern}(,.+)?"'],
                         "continue": True})
    return [
        {"receiver": NULL_RECEIVER, "matchers": [f'{TEST_LABEL}="true"'], "group_by": ["..."],
         "group_wait": "0s", "repeat_interval": "1h", "routes": copy.deepcopy(children)},
        {"receiver": NULL_RECEIVER, "matchers": [f'{CHANNELS_LABEL}=~".+"'], "routes": children},
    ]


def channel_manifest(cfg: AlertingConfig) -> str:
    """What `vibes observe alerts` needs to know about the stack's alerting, without secrets."""
    return json.dumps({"channels": [{"name": c.name, "type": c.type, "severities": list(c.severities)}
                                    for c in cfg.channels],
                       "severities": list(SEVERITIES), "runbook_base_url": cfg.runbook_base_url,
                       "channel_receiver": CHANNEL_RECEIVER}, indent=2) + "\n"


def build(cfg: AlertingConfig, *, receiver_url: str) -> dict[str, Any]:
    receivers: list[dict[str, Any]] = [{"name": NULL_RECEIVER}]
    wd: dict[str, Any] = {"name": WATCHDOG_RECEIVER}
    if cfg.watchdog.sources():
        wd["webhook_configs"] = [{"url": _secret("alerting.watchdog", cfg.watchdog.sources(), "url"),
                                  "send_resolved": False}]
    receivers.append(wd)
    routes: list[dict[str, Any]] = [{
        "receiver": WATCHDOG_RECEIVER, "matchers": ['alertname="Watchdog"'],
        "group_by": ["alertname"], "group_wait": "0s", "group_interval": "1m",
        "repeat_interval": cfg.routing["watchdog_repeat_interval"]}]
    routes += channel_routes(cfg, receiver_url, receivers)
    for sev in SEVERITIES:
        receiver: dict[str, Any] = {"name": sev}
        for i, ch in enumerate(cfg.channels):
            if sev in ch.severities:
                kind, integration = _integration(ch, i, receiver_url)
                receiver.setdefault(kind, []).append(integration)
        receivers.append(receiver)
        routes.append({"receiver": sev, "matchers": [f'severity="{sev}"'],
                       "repeat_interval": cfg.routing["repeat_interval"][sev]})
    inhibit = [
        {"source_matchers": ['severity="critical"'], "target_matchers": ['severity=~"warning|info"'],
         # same alert for the same thing: a critical on one model must not hide another's warning
         "equal": ["alertname", "component", "job", "budget", d.MODEL, d.AGENT, d.TOOL]},
        {"source_matchers": ['alertname="CostBudgetExceeded"'],
         "target_matchers": ['alertname="CostBudgetForecastExceeded"'], "equal": ["budget"]},
    ]
    doc: dict[str, Any] = {
        "route": {"receiver": NULL_RECEIVER, "group_by": cfg.routing["group_by"],
                  "group_wait": cfg.routing["group_wait"], "group_interval": cfg.routing["group_interval"],
                  "repeat_interval": cfg.routing["repeat_interval"]["warning"], "routes": routes},
        "inhibit_rules": inhibit,
        "receivers": receivers,
    }
    return doc


def render(cfg: AlertingConfig, *, receiver_url: str) -> str:
    header = ("# Generated by vibes_observe.alerting (render_alertmanager_config) from the stack\n"
              "# config's `alerting:` section. Do not edit: change the stack config, run `make up`.\n")
    return header + yaml.safe_dump(build(cfg, receiver_url=receiver_url),
                                   sort_keys=False, width=100000)

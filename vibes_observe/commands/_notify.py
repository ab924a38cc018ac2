"""Test notifications: push a clearly marked alert through the real Alertmanager to one
channel at a time and watch Alertmanager's own notification counters for the outcome.

Alertmanager counts every delivery attempt (``alertmanager_notification_requests_total``)
and every failed one (``…_failed_total``) per integration — and per receiver when it
exports ``receiver_name`` (0.28+ with the feature flag). Channels are tried one after
another so each attempt is attributable; a test alert gets a unique label so
Alertmanager never deduplicates it against an earlier test."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from prometheus_client.parser import text_string_to_metric_families

from vibes_observe.alerting.alertmanager import CHANNELS_LABEL, TEST_LABEL
from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.commands._channels import Channel

INTEGRATION = {"console": "webhook", "file": "webhook", "webhook": "webhook", "slack": "slack", "email": "email"}
ATTEMPTS = "alertmanager_notification_requests_total"
FAILED = "alertmanager_notification_requests_failed_total"
TEST_PREFIX = "[TEST] "


@dataclass(frozen=True)
class Delivery:
    channel: str
    type: str
    delivered: bool
    detail: str


def _counts(am: AlertmanagerClient, integration: str, receiver: str) -> tuple[float, float]:
    attempts = failed = 0.0
    for family in text_string_to_metric_families(am.metrics_text()):
        for s in family.samples:
            if s.labels.get("integration") != integration:
                continue
            if s.labels.get("receiver_name", receiver) != receiver:
                continue
            attempts += s.value if s.name == ATTEMPTS else 0
            failed += s.value if s.name == FAILED else 0
    return attempts, failed


def marked_alert(name: str, severity: str, summary: str, channel: str) -> dict:
    now = datetime.now(timezone.utc)
    return {"labels": {"alertname": name, "severity": severity, "component": "custom",
                       CHANNELS_LABEL: channel, TEST_LABEL: "true", "vibes_test_id": uuid.uuid4().hex[:12]},
            "annotations": {"summary": TEST_PREFIX + summary,
                            "description": f"Test notification sent by `vibes observe alerts test --notify` to "
                                           f"channel {channel}: not a real alert, nothing needs doing."},
            "startsAt": now.isoformat(), "endsAt": (now + timedelta(minutes=2)).isoformat()}


def notify(am: AlertmanagerClient, channel: Channel, receiver: str, *, name: str, severity: str,
           summary: str, timeout: float = 30.0) -> Delivery:
    integration = INTEGRATION[channel.type]
    before = _counts(am, integration, receiver)
    am.post_alerts([marked_alert(name, severity, summary, channel.name)])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attempts, failed = _counts(am, integration, receiver)
        tried, broke = attempts - before[0], failed - before[1]
        if tried > broke:
            return Delivery(channel.name, channel.type, True, f"sent by Alertmanager ({integration})")
        if broke:
            return Delivery(channel.name, channel.type, False,
                            f"Alertmanager's {integration} attempt failed (it keeps retrying; "
                            f"see `make logs COMPONENT=alertmanager`)")
        time.sleep(0.5)
    return Delivery(channel.name, channel.type, False, f"no delivery attempt within {timeout:g}s")

"""Alertmanager API v2: alerts and silences."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from vibes_observe.clients._http import get_json, reachable, request

NAME = "Alertmanager"


class AlertmanagerClient:
    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url
        self.timeout = timeout

    def alerts(self, *, active: bool = True, silenced: bool = False, inhibited: bool = False,
               filters: list[str] | None = None) -> list[dict[str, Any]]:
        params: list[tuple[str, str]] = [("active", str(active).lower()),
                                         ("silenced", str(silenced).lower()),
                                         ("inhibited", str(inhibited).lower())]
        params += [("filter", f) for f in filters or []]
        return get_json(NAME, self.url, "/api/v2/alerts", params=params, timeout=self.timeout)

    def silences(self) -> list[dict[str, Any]]:
        return get_json(NAME, self.url, "/api/v2/silences", timeout=self.timeout)

    def create_silence(self, matchers: list[dict[str, Any]], *, duration: timedelta,
                       created_by: str, comment: str) -> str:
        now = datetime.now(timezone.utc)
        body = {"matchers": matchers, "startsAt": now.isoformat(),
                "endsAt": (now + duration).isoformat(), "createdBy": created_by,
                "comment": comment}
        resp = request(NAME, self.url, "POST", "/api/v2/silences", json=body, timeout=self.timeout)
        return resp.json()["silenceID"]

    def expire_silence(self, silence_id: str) -> None:
        request(NAME, self.url, "DELETE", f"/api/v2/silence/{silence_id}", timeout=self.timeout)

    def post_alerts(self, alerts: list[dict[str, Any]]) -> None:
        """Push alerts straight into Alertmanager (API v2), as Prometheus does."""
        request(NAME, self.url, "POST", "/api/v2/alerts", json=alerts, timeout=self.timeout)

    def metrics_text(self) -> str:
        """Alertmanager's own metrics, Prometheus text format."""
        return request(NAME, self.url, "GET", "/metrics", timeout=self.timeout).text

    def health(self) -> tuple[bool, str]:
        return reachable(self.url, "/-/ready")

"""Loki: LogQL built from the CLI's filters, ``/loki/api/v1/query_range``.

Logs arrive through Loki's OTLP endpoint, so resource attributes such as
``service.name`` are index labels and log attributes are structured metadata, both
with dots turned into underscores (the same rule as ``prom_label``)."""

from __future__ import annotations

import json
from typing import Any

from vibes_observe.clients._http import get_json, reachable
from vibes_observe.clients.logs_model import (LEVEL_ALIASES, LogEntry, LogFilter,
                                              level_from_number, level_rank)
from vibes_sdk import names as n

NAME = "Loki"
_MAPPED_BACK = (n.VIBES_SESSION_ID, n.GEN_AI_AGENT_NAME, n.GEN_AI_AGENT_ID, n.VIBES_USER_ID,
                n.VIBES_COST_CENTER, n.VIBES_SWARM_ID, n.GEN_AI_REQUEST_MODEL)


def _quote(value: str) -> str:
    return json.dumps(value)  # a Go-compatible double-quoted string


def build_logql(flt: LogFilter) -> str:
    service_label = n.prom_label(n.SERVICE_NAME)
    service = flt.service
    selector = (f"{{{service_label}={_quote(service)}}}" if service
                else f'{{{service_label}=~".+"}}')
    stages: list[str] = []
    if flt.session:
        stages.append(f"{n.prom_label(n.VIBES_SESSION_ID)}={_quote(flt.session)}")
    if flt.agent:
        stages.append(f"{n.prom_label(n.GEN_AI_AGENT_NAME)}={_quote(flt.agent)}")
    if flt.trace_id:
        stages.append(f"trace_id={_quote(flt.trace_id.lower())}")
    if flt.level:
        # OTel severity numbers: each level spans four numbers starting at 1.
        stages.append(f"severity_number >= {level_rank(flt.level) * 4 + 1}")
    query = selector + "".join(f" | {s}" for s in stages)
    if flt.grep:
        query += f" |~ {_quote(flt.grep)}"
    return query


def parse_streams(payload: dict[str, Any]) -> list[LogEntry]:
    entries = []
    for stream in payload.get("data", {}).get("result", []):
        labels = dict(stream.get("stream", {}))
        attrs: dict[str, Any] = dict(labels)
        for key in _MAPPED_BACK:
            if n.prom_label(key) in labels:
                attrs[key] = labels[n.prom_label(key)]
        level = labels.get("severity_text") or labels.get("detected_level") or ""
        if not level and labels.get("severity_number", "").isdigit():
            level = level_from_number(int(labels["severity_number"]))
        level = LEVEL_ALIASES.get(level.upper(), level.upper()) or "UNSPECIFIED"
        for value in stream.get("values", []):
            ts, line = value[0], value[1]
            extra = value[2] if len(value) > 2 and isinstance(value[2], dict) else {}
            entries.append(LogEntry(time_ns=int(ts), level=level, body=line,
                                    service=labels.get(n.prom_label(n.SERVICE_NAME), ""),
                                    trace_id=labels.get("trace_id", ""),
                                    span_id=labels.get("span_id", ""),
                                    attributes={**attrs, **extra}))
    entries.sort(key=lambda e: e.time_ns)
    return entries


class LokiClient:
    def __init__(self, url: str, timeout: float = 20.0):
        self.url = url
        self.timeout = timeout

    def describe(self) -> str:
        return f"Loki {self.url}"

    def query_range(self, logql: str, *, start_ns: int, end_ns: int, limit: int,
                    direction: str = "backward") -> list[LogEntry]:
        params = {"query": logql, "start": str(start_ns), "end": str(end_ns),
                  "limit": str(limit), "direction": direction}
        return parse_streams(get_json(NAME, self.url, "/loki/api/v1/query_range",
                                      params=params, timeout=self.timeout))

    def query_all(self, logql: str, *, start_ns: int, end_ns: int, page: int) -> list[LogEntry]:
        """Every matching entry in the window, oldest first, fetched page by page (forward)."""
        out: list[LogEntry] = []
        seen: set[tuple[int, str, str]] = set()
        while start_ns <= end_ns:
            batch = self.query_range(logql, start_ns=start_ns, end_ns=end_ns, limit=page,
                                     direction="forward")
            fresh = [e for e in batch if (e.time_ns, e.service, e.body) not in seen]
            seen.update((e.time_ns, e.service, e.body) for e in fresh)
            out.extend(fresh)
            if len(batch) < page or not fresh:
                break
            # Restart at the last timestamp (not after it): entries sharing it are deduplicated.
            start_ns = max(e.time_ns for e in batch)
        out.sort(key=lambda e: e.time_ns)
        return out

    def health(self) -> tuple[bool, str]:
        return reachable(self.url, "/ready")

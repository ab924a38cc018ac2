"""Jaeger HTTP query API (``/api/services``, ``/api/traces``, ``/api/traces/{id}``)
and a small span model built from its JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from vibes_observe.clients._http import BackendError, get_json, reachable

NAME = "Jaeger"
# Jaeger reports its own query service; it is never an agent.
_INTERNAL_SERVICES = frozenset({"jaeger", "jaeger-all-in-one", "jaeger-query"})


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str | None
    name: str
    service: str
    start_us: int
    duration_us: int
    tags: dict[str, Any]
    children: list["Span"] = field(default_factory=list)

    @property
    def is_error(self) -> bool:
        return (self.tags.get("error") in (True, "true")
                or self.tags.get("otel.status_code") == "ERROR")

    def tag(self, key: str, default: Any = None) -> Any:
        return self.tags.get(key, default)


@dataclass
class Trace:
    trace_id: str
    spans: list[Span]

    @property
    def roots(self) -> list[Span]:
        ids = {s.span_id for s in self.spans}
        return sorted((s for s in self.spans if not s.parent_id or s.parent_id not in ids),
                      key=lambda s: s.start_us)

    @property
    def root(self) -> Span:
        return self.roots[0]

    @property
    def start_us(self) -> int:
        return min(s.start_us for s in self.spans)

    @property
    def duration_us(self) -> int:
        return max(s.start_us + s.duration_us for s in self.spans) - self.start_us

    @property
    def error_count(self) -> int:
        return sum(1 for s in self.spans if s.is_error)

    def find_tag(self, key: str) -> Any:
        """The first value of a tag on any span, root first."""
        for span in [self.root, *self.spans]:
            if key in span.tags:
                return span.tags[key]
        return None


def parse_trace(raw: dict) -> Trace:
    processes = raw.get("processes", {})
    spans: dict[str, Span] = {}
    for item in raw.get("spans", []):
        parent = next((r["spanID"] for r in item.get("references", [])
                       if r.get("refType") == "CHILD_OF"), None)
        proc = processes.get(item.get("processID"), {})
        spans[item["spanID"]] = Span(
            trace_id=item["traceID"], span_id=item["spanID"], parent_id=parent,
            name=item.get("operationName", ""), service=proc.get("serviceName", ""),
            start_us=int(item.get("startTime", 0)), duration_us=int(item.get("duration", 0)),
            tags={t["key"]: t.get("value") for t in item.get("tags", [])})
    for span in spans.values():
        if span.parent_id in spans:
            spans[span.parent_id].children.append(span)
    for span in spans.values():
        span.children.sort(key=lambda s: s.start_us)
    return Trace(trace_id=raw.get("traceID", ""), spans=list(spans.values()))


class JaegerClient:
    def __init__(self, url: str, timeout: float = 20.0):
        self.url = url
        self.timeout = timeout

    def services(self) -> list[str]:
        data = get_json(NAME, self.url, "/api/services", timeout=self.timeout).get("data") or []
        return sorted(s for s in data if s not in _INTERNAL_SERVICES)

    def find_traces(self, *, service: str, tags: dict[str, str] | None = None, limit: int = 20,
                    start_us: int | None = None, end_us: int | None = None,
                    lookback: str | None = None, min_duration: str | None = None,
                    operation: str | None = None) -> list[Trace]:
        params: dict[str, Any] = {"service": service, "limit": limit}
        if tags:
            params["tags"] = json.dumps(tags)
        if start_us is not None:
            params["start"] = start_us
        if end_us is not None:
            params["end"] = end_us
        if lookback:
            params["lookback"] = lookback
        if min_duration:
            params["minDuration"] = min_duration
        if operation:
            params["operation"] = operation
        payload = get_json(NAME, self.url, "/api/traces", params=params, timeout=self.timeout)
        return [parse_trace(t) for t in payload.get("data") or []]

    def search(self, *, services: list[str] | None = None, **kwargs: Any) -> list[Trace]:
        """Search every service (Jaeger's API needs one per call), newest first, deduplicated."""
        found: dict[str, Trace] = {}
        for service in services or self.services():
            for trace in self.find_traces(service=service, **kwargs):
                found.setdefault(trace.trace_id, trace)
        return sorted(found.values(), key=lambda t: t.start_us, reverse=True)

    def get_trace(self, trace_id: str) -> Trace:
        try:
            payload = get_json(NAME, self.url, f"/api/traces/{trace_id}", timeout=self.timeout)
        except BackendError as exc:
            if "HTTP 404" in exc.reason:
                raise BackendError(NAME, self.url, f"no trace with id {trace_id!r}") from None
            raise
        data = payload.get("data") or []
        if not data:
            raise BackendError(NAME, self.url, f"no trace with id {trace_id!r}")
        return parse_trace(data[0])

    def health(self) -> tuple[bool, str]:
        return reachable(self.url, "/api/services")

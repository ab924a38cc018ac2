"""Bad input at the collector's OTLP/HTTP receiver: each bad request is refused with a
reason, an oversized value is cut to the collector's bound (not passed on to make Jaeger
refuse its whole batch), a span older than the trace retention is refused at the trace store
and counted, and the good items sent alongside are never lost."""
from __future__ import annotations

import gzip
import json
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from conftest import http_json, poll
from prometheus_client.parser import text_string_to_metric_families

import workload as wl

ATTRIBUTE_BOUND, LOG_BODY_BOUND = 16384, 65536  # transform/limits in stack/templates/otelcol.yaml.j2
HUGE = 1 << 20


def _post(url: str, body: bytes, content_type: str) -> tuple[int, str]:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.status, resp.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _resource(service: str) -> dict:
    return {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]}


def _span(name: str, start_ns: int, **attrs: str) -> dict:
    return {"traceId": uuid.uuid4().hex, "spanId": uuid.uuid4().hex[:16], "name": name, "kind": 1,
            "startTimeUnixNano": str(start_ns), "endTimeUnixNano": str(start_ns + 10**6),
            "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()]}


def _send_spans(stack, service: str, spans: list[dict]) -> tuple[int, str]:
    body = {"resourceSpans": [{"resource": _resource(service), "scopeSpans": [{"spans": spans}]}]}
    return _post(f"{stack.otlp_http_endpoint}/v1/traces", json.dumps(body).encode(), "application/json")


def _jaeger_spans(stack, service: str) -> dict[str, dict]:
    q = urllib.parse.urlencode({"service": service, "limit": 1000, "lookback": "1h"})
    data = http_json(f"{stack.jaeger_url}/api/traces?{q}").get("data") or []
    return {s["operationName"]: s for t in data for s in t["spans"]}


@pytest.mark.parametrize("signal", ["traces", "metrics", "logs"])
@pytest.mark.parametrize("content_type,body", [("application/x-protobuf", b"\x0a\xff\xff\xff\x0f garbage"),
                                               ("application/json", b'{"resourceSpans": [{not json')],
                         ids=["protobuf", "json"])
def test_malformed_otlp_is_refused_with_a_reason(stack, signal, content_type, body):
    status, reason = _post(f"{stack.otlp_http_endpoint}/v1/{signal}", body, content_type)
    assert status == 400 and reason.strip(), (status, reason)


def test_request_over_the_body_limit_is_refused_with_a_reason(stack):
    """25 MiB once decompressed (a 25 KiB gzip body: the server answers before the client has
    written it, where a plain 25 MiB body would meet a connection reset instead)."""
    service = f"bad-huge-{uuid.uuid4().hex[:6]}"
    spans = [_span("huge", time.time_ns(), x="a" * (25 << 20))]
    body = {"resourceSpans": [{"resource": _resource(service), "scopeSpans": [{"spans": spans}]}]}
    req = urllib.request.Request(f"{stack.otlp_http_endpoint}/v1/traces", data=gzip.compress(json.dumps(body).encode()),
                                 headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(req, timeout=60)
    reason = refused.value.read().decode(errors="replace")
    assert refused.value.code == 400 and "too large" in reason, (refused.value.code, reason[:300])


def test_oversized_attribute_is_cut_and_its_batch_neighbours_arrive(stack):
    service = f"bad-attr-{uuid.uuid4().hex[:6]}"
    now = time.time_ns()
    spans = [_span(f"fine {i}", now) for i in range(5)] + [_span("oversized", now, big="é" * HUGE, small="kept")]
    assert _send_spans(stack, service, spans)[0] == 200
    stored = poll(lambda: (got := _jaeger_spans(stack, service)) and len(got) == 6 and got, timeout=60,
                  what="the oversized span and its five neighbours in Jaeger")
    tags = {t["key"]: t["value"] for t in stored["oversized"]["tags"]}
    assert tags["small"] == "kept"
    assert 0 < len(tags["big"].encode()) <= ATTRIBUTE_BOUND and set(tags["big"]) <= {"é", "\ufffd"}


def test_oversized_log_line_is_cut_and_its_neighbours_arrive(stack):
    service = f"bad-log-{uuid.uuid4().hex[:6]}"
    now = time.time_ns()
    records = [{"timeUnixNano": str(now), "severityNumber": 9, "severityText": "INFO",
                "body": {"stringValue": body}} for body in ["before", "x" * HUGE, "after"]]
    body = {"resourceLogs": [{"resource": _resource(service), "scopeLogs": [{"logRecords": records}]}]}
    assert _post(f"{stack.otlp_http_endpoint}/v1/logs", json.dumps(body).encode(), "application/json")[0] == 200

    def stored():
        proc = wl.run_cli(stack, "logs", "--service", service, "--since", "1h", "--limit", "0", "--json")
        got = [json.loads(line)["body"] for line in proc.stdout.splitlines() if line.strip()]
        return got if len(got) == 3 else None
    got = poll(stored, timeout=60, what="the oversized log line and its two neighbours in the log store")
    assert {"before", "after"} <= set(got)
    (long_line,) = [b for b in got if b.startswith("x")]
    assert len(long_line) == LOG_BODY_BOUND


def _too_old_spans_refused(stack) -> float:
    """Jaeger's own count of spans its filter/too_old processor refused (its metrics endpoint)."""
    url = f"http://127.0.0.1:{stack.ports['jaeger_metrics']}/metrics"
    text = urllib.request.urlopen(url, timeout=30).read().decode()
    return sum(sample.value for family in text_string_to_metric_families(text)
               if family.name.startswith("otelcol_processor_filter_spans_filtered")
               for sample in family.samples if sample.labels.get("filter") == "filter/too_old")


def test_too_old_span_is_refused_and_counted_without_costing_its_neighbours(stack):
    """A span 40 days old (beyond the trace retention) sent with fresh ones in one request:
    the fresh ones are stored, the old one is refused at the trace store (not kept for a
    retention from now) and counted under the reason filter/too_old."""
    service = f"bad-old-{uuid.uuid4().hex[:6]}"
    now = time.time_ns()
    before = _too_old_spans_refused(stack)
    spans = [_span("old", now - 40 * 86400 * 10**9)] + [_span(f"fresh {i}", now) for i in range(3)]
    assert _send_spans(stack, service, spans)[0] == 200
    poll(lambda: {f"fresh {i}" for i in range(3)} <= set(_jaeger_spans(stack, service)), timeout=60,
         what="the three fresh spans sent with a 40-day-old one")
    poll(lambda: _too_old_spans_refused(stack) - before >= 1, timeout=60,
         what="Jaeger's count of refused too-old spans (filter/too_old)")
    q = urllib.parse.urlencode({"service": service, "limit": 100, "lookback": "2000h"})
    stored = [s["operationName"] for t in http_json(f"{stack.jaeger_url}/api/traces?{q}")["data"]
              for s in t["spans"]]
    assert "old" not in stored, "the 40-day-old span reached the trace store"
    assert sorted(stored) == [f"fresh {i}" for i in range(3)], stored

"""Nothing is lost when a backend or the collector goes away while data is in flight."""
from __future__ import annotations

import threading
import time
import urllib.parse
import urllib.request

from conftest import http_json, poll


def _send_spans(client, seconds: float, trace_ids: list[str], stop: threading.Event, label: str) -> None:
    deadline = time.monotonic() + seconds
    i = 0
    while time.monotonic() < deadline and not stop.is_set():
        trace_ids.append(client.span(f"{label} {i}", **{"seq": i}))
        i += 1
        time.sleep(0.05)


def _ensure_up(stack, *components):
    for c in components:
        if not stack.pid(c):
            stack.start(c)


def _all_in_jaeger(jaeger_trace_ids, service, sent):
    def check():
        missing = set(sent) - jaeger_trace_ids(service)
        return not missing
    return check


def _missing(jaeger_trace_ids, service, sent) -> set[str]:
    try:
        return set(sent) - jaeger_trace_ids(service)
    except Exception as exc:  # noqa: BLE001
        return {f"(query failed: {exc})"}


def test_jaeger_crash_while_sending_loses_no_span(stack, otlp_client, jaeger_trace_ids):
    sent: list[str] = []
    stop = threading.Event()
    sender = threading.Thread(target=_send_spans, args=(otlp_client, 9, sent, stop, "jaeger-crash"))
    try:
        sender.start()
        time.sleep(2)
        stack.kill("jaeger")          # SIGKILL: a crash, spans keep coming
        time.sleep(3)
        stack.start("jaeger")
        sender.join()
        otlp_client.flush()
        assert len(sent) > 50
        poll(_all_in_jaeger(jaeger_trace_ids, otlp_client.service, sent), timeout=90,
             what=f"all {len(sent)} spans in Jaeger after its crash "
                  f"(missing now: {len(_missing(jaeger_trace_ids, otlp_client.service, sent))})")
    finally:
        stop.set()
        sender.join()
        _ensure_up(stack, "jaeger")


def test_prometheus_crash_loses_no_total(stack, otlp_client, prom_query):
    counter = otlp_client.meter.create_counter("vibes.stack_test.crash_events", unit="1")
    expr = f'vibes_stack_test_crash_events_total{{job="{otlp_client.service}"}}'
    total = 0
    try:
        for _ in range(5):
            counter.add(3)
            total += 3
            time.sleep(0.5)
        otlp_client.flush()
        poll(lambda: prom_query(expr), timeout=30, what=f"{expr} before the crash")
        t_kill = time.time()
        stack.kill("prometheus")
        for _ in range(10):           # increments while Prometheus is down
            counter.add(5)
            total += 5
            time.sleep(0.3)
        stack.start("prometheus")
        otlp_client.flush()
        poll(lambda: (r := prom_query(expr)) and float(r[0]["value"][1]) == total, timeout=60,
             what=f"{expr} == {total} after the crash")
        # samples scraped before the crash survived (WAL replay): raw samples older than the kill
        raw = http_json(f"{stack.prometheus_url}/api/v1/query?"
                        + urllib.parse.urlencode({"query": f"{expr}[10m]"}))["data"]["result"]
        assert raw and min(float(ts) for ts, _ in raw[0]["values"]) < t_kill, raw
    finally:
        _ensure_up(stack, "prometheus")


def _queue_size(stack) -> float:
    url = f"http://127.0.0.1:{stack.ports['collector_metrics']}/metrics"
    with urllib.request.urlopen(url, timeout=5) as resp:
        text = resp.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("otelcol_exporter_queue_size") and "otlp_grpc/jaeger" in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_collector_restart_with_queued_spans_loses_none(stack, otlp_client, jaeger_trace_ids):
    sent: list[str] = []
    try:
        stack.stop("jaeger")
        for i in range(40):
            sent.append(otlp_client.span(f"queued {i}", **{"seq": i}))
        otlp_client.flush()           # the collector has accepted every span
        poll(lambda: _queue_size(stack) > 0, timeout=30, what="spans waiting in the collector's queue")
        stack.stop("collector")       # queued spans live only in the file-backed queue now
        stack.start("collector")
        stack.start("jaeger")
        poll(_all_in_jaeger(jaeger_trace_ids, otlp_client.service, sent), timeout=90,
             what=f"all {len(sent)} queued spans in Jaeger after the collector restart "
                  f"(missing now: {len(_missing(jaeger_trace_ids, otlp_client.service, sent))})")
    finally:
        _ensure_up(stack, "jaeger", "collector")

"""A span, a metric and a log record sent by a real OTLP client arrive in Jaeger, Prometheus
and the log store; every component is healthy; the SDK's Prometheus naming matches the
collector's exporter."""
from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid

from conftest import COMPONENTS, http_json, poll

from vibes_sdk import names


def test_every_component_is_healthy(stack):
    for component in COMPONENTS:
        assert stack.pid(component), f"{component} has no live pid\n{stack.log_tail(component)}"
        assert stack.healthy(component), f"{component} is not healthy\n{stack.log_tail(component)}"


def test_span_reaches_jaeger(stack, otlp_client, jaeger_trace_ids):
    trace_id = otlp_client.span("stack-test span", **{"vibes.test": "pipeline"})
    otlp_client.flush()
    poll(lambda: trace_id in jaeger_trace_ids(otlp_client.service), timeout=60,
         what=f"trace {trace_id} in Jaeger")


def test_metric_reaches_prometheus(stack, otlp_client, prom_query):
    counter = otlp_client.meter.create_counter("vibes.stack_test.events", unit="1", description="test")
    counter.add(7, {"case": "pipeline"})
    otlp_client.flush()
    expr = f'vibes_stack_test_events_total{{job="{otlp_client.service}"}}'
    result = poll(lambda: prom_query(expr), timeout=60, what=f"{expr} in Prometheus")
    assert float(result[0]["value"][1]) == 7.0


def test_log_record_reaches_victorialogs(stack, otlp_client):
    marker = f"stack-test log {uuid.uuid4()}"
    otlp_client.log(marker, **{"vibes.test": "pipeline"})
    otlp_client.flush()
    query = urllib.parse.urlencode({"query": f'_msg:={json.dumps(marker)}', "start": "1h"})

    def find():
        with urllib.request.urlopen(f"{stack.victorialogs_url}/select/logsql/query?{query}", timeout=10) as resp:
            lines = resp.read().decode().splitlines()
        return [json.loads(line) for line in lines] or None
    [record] = poll(find, timeout=60, what=f"log record {marker!r} in VictoriaLogs {stack.victorialogs_url}")
    assert record["service.name"] == otlp_client.service and record["vibes.test"] == "pipeline"
    # stream fields = the index: only the bounded ones the collector names, not per-process ids
    assert record["_stream"] == f'{{deployment.environment.name="local",service.name="{otlp_client.service}"}}'


def test_secret_looking_values_are_redacted(stack, otlp_client, jaeger_trace_ids):
    trace_id = otlp_client.span("stack-test redaction", **{
        "llm.api_key": "sk-" + "A1b2C3d4" * 4, "user.email": "alice@example.com", "safe": "kept"})
    otlp_client.flush()
    poll(lambda: trace_id in jaeger_trace_ids(otlp_client.service), timeout=60, what="redaction trace")
    with urllib.request.urlopen(f"{stack.jaeger_url}/api/traces/{trace_id}", timeout=10) as resp:
        body = resp.read().decode()
    assert "alice@example.com" not in body and "A1b2C3d4A1b2C3d4" not in body
    assert '"kept"' in body


def test_sdk_prometheus_names_match_the_collector_exporter(stack, otlp_client):
    """vibes_sdk.names.prom_metric_name mirrors the collector's prometheus exporter: check it live."""
    instruments = [v for v in vars(names).values() if isinstance(v, names.Instrument)]
    assert instruments, "names.py defines no Instrument"
    for inst in instruments:
        if inst.kind == "histogram":
            otlp_client.meter.create_histogram(inst.name, unit=inst.unit).record(1.0)
        elif inst.kind == "counter":
            otlp_client.meter.create_counter(inst.name, unit=inst.unit).add(1)
        elif inst.kind == "updown_counter":
            otlp_client.meter.create_up_down_counter(inst.name, unit=inst.unit).add(1)
        else:
            otlp_client.meter.create_gauge(inst.name, unit=inst.unit).set(1)
    otlp_client.flush()

    def exported_names() -> set[str]:
        with urllib.request.urlopen(stack.collector_metrics_url + "/metrics", timeout=10) as resp:
            text = resp.read().decode()
        mine = [l for l in text.splitlines() if otlp_client.service in l and not l.startswith("#")]
        return {l.split("{", 1)[0] for l in mine}
    wanted = {(i.name, i.prom_count if i.kind == "histogram" else i.prom) for i in instruments}
    deadline = time.monotonic() + 30
    got: set[str] = set()
    while time.monotonic() < deadline and len(got) < len(wanted):  # until all series are exported
        got = exported_names()
        time.sleep(1)
    missing = {name: prom for name, prom in wanted if prom not in got}
    assert not missing, f"names.prom_metric_name disagrees with the exporter: {missing}; exporter has {sorted(got)}"


def test_prometheus_scrapes_every_component(stack, prom_query):
    """Collector exporter + collector own metrics + Jaeger + Alertmanager + Prometheus itself, all up."""
    wanted = {"otel-collector-exporter", "otel-collector", "jaeger", "alertmanager", "prometheus"}

    def all_up():
        up = {r["metric"]["job"] for r in prom_query("up == 1")}
        return wanted <= up
    poll(all_up, timeout=30, what=f"up == 1 for jobs {sorted(wanted)}")
    rules = http_json(f"{stack.prometheus_url}/api/v1/rules")["data"]["groups"]
    assert rules, "Prometheus loaded no rule groups from the alerting helper's rule files"
    ams = http_json(f"{stack.prometheus_url}/api/v1/alertmanagers")["data"]["activeAlertmanagers"]
    assert any(str(stack.ports["alertmanager"]) in a["url"] for a in ams), ams

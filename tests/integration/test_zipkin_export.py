"""traces_exporter: [otlp, zipkin]: the SDK's spans reach a REAL Zipkin server (the
io.zipkin:zipkin-server exec jar from Maven Central, `make zipkin-server`, on Java 17,
bound to 127.0.0.1) with their cost and context, and the stack's Jaeger at the same time."""

from __future__ import annotations

import shutil
import socket
import subprocess
import urllib.parse
import uuid

import pytest
from conftest import http_json, live_sdk_settings, poll

import vibes_sdk as vibes
from vibes_sdk import names as n
from vibes_stack import zipkin

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def zipkin_server(tmp_path_factory):
    jar = zipkin.jar_path()
    assert jar.exists(), f"{jar} missing: run `make zipkin-server` (part of `make test`)"
    assert shutil.which("java"), "Java 17 is required to run the Zipkin server"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(tmp_path_factory.mktemp("zipkin") / "zipkin.log", "w")
    proc = subprocess.Popen(zipkin.command(jar, port), stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        poll(lambda: http_json(f"{url}/health")["status"] == "UP", timeout=120, what="Zipkin /health")
        yield url
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def test_sdk_spans_reach_zipkin_and_jaeger(stack, zipkin_server, jaeger_trace_ids):
    service = f"zipkin-{uuid.uuid4().hex[:6]}"
    vibes.init(service_name=service, **live_sdk_settings(stack), traces_exporter=["otlp", "zipkin"],
               zipkin_endpoint=f"{zipkin_server}/api/v2/spans")
    try:
        with vibes.session("zk-session", user_id="zk-user"), vibes.agent("zk-agent"):
            with vibes.llm_call(model="gpt-4o", provider="openai") as call:
                call.record_usage(1000, 200)
        assert vibes.flush(20)
    finally:
        vibes.shutdown(10)
    q = urllib.parse.urlencode({"serviceName": service, "lookback": 3_600_000, "limit": 10})
    traces = poll(lambda: http_json(f"{zipkin_server}/api/v2/traces?{q}"), timeout=60, what="the trace in Zipkin")
    (span,) = [s for t in traces for s in t if s["name"] == "chat gpt-4o"]
    tags = span["tags"]
    assert float(tags[n.VIBES_COST_USD]) == call.cost_usd == (1000 * 2.5 + 200 * 10.0) / 1e6
    assert tags[n.VIBES_SESSION_ID] == "zk-session" and tags[n.GEN_AI_AGENT_NAME] == "zk-agent"
    assert span["kind"] == "CLIENT" and span["localEndpoint"]["serviceName"] == service
    assert poll(lambda: span["traceId"].rjust(32, "0") in jaeger_trace_ids(service), timeout=60,
                what="the same trace in Jaeger")

"""Pricing in the collector: an app with NO vibes_sdk (plain OpenTelemetry + the official
openai-v2 instrumentation + the real openai client, against our fake OpenAI endpoint)
is priced by the real collector from the same price table — on its spans in Jaeger, in
Prometheus' vibes counters, in `vibes observe cost` — and vibes_sdk's own spans pass
through unpriced by the collector (nothing counted twice)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from conftest import http_json, poll

from vibes_sdk import names as n
from vibes_sdk.cost import PriceTable, Usage

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cli"))
import fake_anthropic  # noqa: E402
import fake_openai  # noqa: E402
import workload as wl  # noqa: E402

pytestmark = pytest.mark.integration
APP = Path(__file__).resolve().parent / "apps" / "otel_openai_app.py"
CALLS = ["gpt-4o", "gpt-4o", "gpt-4o-mini:stream", "unknown-model-x"]
TABLE = PriceTable.load()


@pytest.fixture(scope="module")
def provider():
    server = fake_openai.FakeOpenAI()
    yield server
    server.close()


def jaeger_spans(stack, service: str) -> list[dict]:
    q = urllib.parse.urlencode({"service": service, "limit": 100, "lookback": "1h"})
    data = http_json(f"{stack.jaeger_url}/api/traces?{q}")
    return [{**s, "attrs": {t["key"]: t["value"] for t in s["tags"]}}
            for t in data.get("data") or [] for s in t["spans"]]


def expected_cost(attrs: dict) -> float | None:
    """What vibes_sdk's formula gives for the usage the span carries."""
    usage = Usage(int(attrs.get(n.GEN_AI_USAGE_INPUT_TOKENS, 0)), int(attrs.get(n.GEN_AI_USAGE_OUTPUT_TOKENS, 0)),
                  int(attrs.get(n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0)),
                  int(attrs.get(n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS, 0)),
                  int(attrs.get(n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0)))
    price = TABLE.lookup(attrs.get(n.GEN_AI_RESPONSE_MODEL, "")) or TABLE.lookup(attrs[n.GEN_AI_REQUEST_MODEL])
    return None if price is None else TABLE.cost(price.model, usage)


def prom_total(prom_query, expr: str) -> float:
    return sum(float(r["value"][1]) for r in prom_query(expr))


@pytest.fixture(scope="module", params=["openai-v2", "openllmetry"])
def foreign_app(stack, provider, request):
    """The official instrumentation, and OpenLLMetry's (the one traceloop-sdk installs)."""
    service = f"plain-otel-{request.param}-{uuid.uuid4().hex[:6]}"
    proc = subprocess.run([sys.executable, str(APP), "--instrumentation", request.param,
                           "--endpoint", stack.otlp_http_endpoint, "--service", service,
                           "--base-url", provider.base_url, *CALLS], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == ["hello"] * len(CALLS)
    spans = poll(lambda: (lambda s: s if len(s) >= len(CALLS) else None)(
        [s for s in jaeger_spans(stack, service) if n.GEN_AI_USAGE_INPUT_TOKENS in s["attrs"]]),
        timeout=60, what=f"{len(CALLS)} chat spans of {service} in Jaeger")
    return {"service": service, "spans": spans}


def test_foreign_spans_are_priced_exactly_by_the_collector(foreign_app):
    spans = foreign_app["spans"]
    assert len(spans) == len(CALLS)
    for span in spans:
        a = span["attrs"]
        assert a[n.GEN_AI_USAGE_INPUT_TOKENS] == fake_openai.PROMPT
        assert a[n.GEN_AI_USAGE_OUTPUT_TOKENS] == fake_openai.COMPLETION
        assert a.get(n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, fake_openai.CACHED) == fake_openai.CACHED
        assert a[n.VIBES_COST_SOURCE] == n.COST_SOURCE_COLLECTOR
        want = expected_cost(a)
        if a[n.GEN_AI_REQUEST_MODEL].startswith("unknown"):
            assert want is None and a[n.VIBES_COST_UNPRICED] is True and n.VIBES_COST_USD not in a
            continue
        assert a[n.VIBES_COST_USD] == want  # the same double as the SDK's formula
        assert a[n.VIBES_COST_PRICE_TABLE] == TABLE.version
        price = TABLE.lookup(a[n.GEN_AI_RESPONSE_MODEL]) or TABLE.lookup(a[n.GEN_AI_REQUEST_MODEL])
        assert a[n.VIBES_COST_PRICE_AS_OF] == price.as_of
        # a cost without the cached-token count is flagged as an upper bound, never silently high
        assert a.get(n.VIBES_COST_UPPER_BOUND, False) is (n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS not in a)
        assert not any(k.startswith("vibes.tmp.") for k in a)
    streamed = [s for s in spans if s["attrs"][n.GEN_AI_REQUEST_MODEL] == "gpt-4o-mini"]
    assert len(streamed) == 1 and streamed[0]["attrs"][n.VIBES_COST_USD] > 0  # usage from the last chunk


def test_prometheus_counters_and_cli_cost_match_the_spans(stack, foreign_app, prom_query):
    service, spans = foreign_app["service"], foreign_app["spans"]
    total = sum(expected_cost(s["attrs"]) or 0.0 for s in spans)
    job = f'{{{n.PROM_SERVICE_LABEL}="{service}"}}'
    poll(lambda: prom_total(prom_query, f"sum({n.UNPRICED_REQUESTS.prom}{job})") == 1
         and prom_total(prom_query, f"sum({n.COST.prom}{job})") > 0, timeout=60, what="collector-derived counters")
    assert prom_total(prom_query, f"sum({n.COST.prom}{job})") == pytest.approx(total, rel=1e-12)
    tok = n.prom_label(n.GEN_AI_TOKEN_TYPE)
    by_type = {r["metric"][tok]: float(r["value"][1])
               for r in prom_query(f"sum by ({tok}) ({n.TOKENS.prom}{job})")}
    assert by_type[n.TOKEN_INPUT] == len(CALLS) * fake_openai.PROMPT
    assert by_type[n.TOKEN_OUTPUT] == len(CALLS) * fake_openai.COMPLETION
    gpt4o = prom_query(f'sum({n.COST.prom}{{{n.PROM_SERVICE_LABEL}="{service}",'
                       f'{n.prom_label(n.GEN_AI_REQUEST_MODEL)}="gpt-4o"}})')
    assert float(gpt4o[0]["value"][1]) == pytest.approx(
        sum(expected_cost(s["attrs"]) for s in spans if s["attrs"][n.GEN_AI_REQUEST_MODEL] == "gpt-4o"), rel=1e-12)

    out = json.loads(wl.run_cli(stack, "cost", "--service", service, "--period", "today", "--json").stdout)
    today = out["prometheus"]["periods"]["today"]
    assert today["cost_usd"] == pytest.approx(total, rel=1e-9)
    assert today["unpriced_requests"] == 1

    metrics = json.loads(wl.run_cli(stack, "metrics", "--service", service, "--json").stdout)
    assert metrics["total"]["tokens"][n.TOKEN_INPUT] == len(CALLS) * fake_openai.PROMPT


def test_vibes_sdk_auto_instrumented_calls_counted_once(stack, provider, prom_query):
    """vibes_sdk + instrument="auto" in one process (openai via openai-v2, anthropic's own
    tracing), through the real collector: context, cost and tokens exact in Jaeger and
    Prometheus, nothing priced twice by the collector."""
    service = f"sdk-auto-{uuid.uuid4().hex[:6]}"
    anthropic_server = fake_anthropic.FakeAnthropic()
    script = (
        "import vibes_sdk as vibes, anthropic\n"
        "from openai import OpenAI\n"
        f"vibes.init(service_name={service!r}, endpoint={stack.otlp_http_endpoint!r}, metric_export_interval=1,"
        " flush_interval=0.2, system_metrics=False, instrument='auto')\n"
        "msgs = [{'role': 'user', 'content': 'hi'}]\n"
        f"c = OpenAI(base_url={provider.base_url!r}, api_key='k', max_retries=0)\n"
        f"a = anthropic.Anthropic(base_url={anthropic_server.base_url!r}, api_key='k', max_retries=0)\n"
        "with vibes.session('auto-session', user_id='auto-user'), vibes.agent('auto-agent'):\n"
        "    for _ in range(2):\n"
        "        c.chat.completions.create(model='gpt-4o', messages=msgs)\n"
        "    with vibes.llm_call(model='gpt-4o', provider='openai'):\n"
        "        c.chat.completions.create(model='gpt-4o', messages=msgs)\n"
        "    a.messages.create(model='claude-sonnet-4-5', max_tokens=64, messages=msgs)\n"
        "print(repr(vibes.cost_tracker().all_time()))\n"
        "vibes.shutdown(10)\n")
    try:
        proc = subprocess.run([sys.executable, "-W", "ignore", "-c", script], capture_output=True, text=True,
                              timeout=120)
    finally:
        anthropic_server.close()
    assert proc.returncode == 0, proc.stderr
    sdk_total = float(proc.stdout.strip().splitlines()[-1])
    gpt4o = TABLE.cost("gpt-4o", Usage(fake_openai.PROMPT, fake_openai.COMPLETION))  # openai-v2: no cache count
    full_input = fake_anthropic.UNCACHED_INPUT + fake_anthropic.CACHE_READ + fake_anthropic.CACHE_WRITE
    claude = TABLE.cost("claude-sonnet-4-5", Usage(full_input, fake_anthropic.OUTPUT, fake_anthropic.CACHE_READ,
                                                   fake_anthropic.CACHE_WRITE))
    assert sdk_total == pytest.approx(3 * gpt4o + claude, rel=1e-12)
    spans = poll(lambda: (lambda s: s if len(s) >= 5 else None)(
        [s for s in jaeger_spans(stack, service) if n.VIBES_COST_SOURCE in s["attrs"]]),
        timeout=60, what="5 priced spans (3 openai-v2 + 1 llm_call + 1 anthropic)")
    assert len(spans) == 5 and {s["attrs"][n.VIBES_COST_SOURCE] for s in spans} == {n.COST_SOURCE_SDK}
    for s in spans:
        assert s["attrs"][n.VIBES_SESSION_ID] == "auto-session" and s["attrs"][n.GEN_AI_AGENT_NAME] == "auto-agent"
    (claude_span,) = [s for s in spans if s["attrs"].get(n.GEN_AI_PROVIDER_NAME) == "anthropic"]
    assert claude_span["attrs"][n.VIBES_COST_USD] == claude
    job = f'{{{n.PROM_SERVICE_LABEL}="{service}"}}'
    poll(lambda: prom_total(prom_query, f"sum({n.COST.prom}{job})") >= sdk_total * 0.999,
         timeout=60, what="the SDK's cost counter")
    time.sleep(3)  # a double count would arrive with the next collector flush
    assert prom_total(prom_query, f"sum({n.COST.prom}{job})") == pytest.approx(sdk_total, rel=1e-12)
    tok = n.prom_label(n.GEN_AI_TOKEN_TYPE)
    assert prom_total(prom_query, f'sum({n.TOKENS.prom}{{{n.PROM_SERVICE_LABEL}="{service}",{tok}="input"}})') \
        == 3 * fake_openai.PROMPT + full_input


NODE_AGENT = Path(__file__).resolve().parent / "node"
NODE_CALLS = 5


def cost_panel_expr(title: str, service: str) -> str:
    """A Prometheus query of the shipped Cost dashboard, variables filled for one service."""
    from vibes_observe.dashboards import render
    panels = json.loads(render("cost"))["panels"]
    (expr,) = [t["expr"] for p in panels if p.get("title") == title for t in p.get("targets", []) if t.get("expr")]
    for var in ("model", "agent", "cost_center"):
        expr = expr.replace(f'=~"${var}"', '=~".*"')
    return expr.replace('"$service"', json.dumps(service)).replace("$__range", "1h")


def test_node_agent_is_priced_in_every_cost_surface(stack, provider, prom_query):
    """No vibes code, another language: @opentelemetry/sdk-node + instrumentation-openai."""
    node = shutil.which("node")
    assert node, "Node.js is required for this test (the machine image provides Node 20)"
    assert (NODE_AGENT / "node_modules" / ".installed").exists(), "run `make node-deps` (part of `make test`)"
    service = f"node-agent-{uuid.uuid4().hex[:6]}"
    env = {**os.environ, "OTEL_SERVICE_NAME": service, "OTEL_EXPORTER_OTLP_ENDPOINT": stack.otlp_http_endpoint,
           "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf", "OTEL_METRIC_EXPORT_INTERVAL": "1000",
           "OTEL_LOGS_EXPORTER": "none"}
    proc = subprocess.run([node, str(NODE_AGENT / "agent.js"), provider.base_url, *["gpt-4o"] * NODE_CALLS],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr
    spans = poll(lambda: (lambda s: s if len(s) >= NODE_CALLS else None)(
        [s for s in jaeger_spans(stack, service) if n.GEN_AI_USAGE_INPUT_TOKENS in s["attrs"]]),
        timeout=60, what="the Node agent's chat spans in Jaeger")
    per_call = TABLE.cost("gpt-4o", Usage(fake_openai.PROMPT, fake_openai.COMPLETION))  # no cache count sent
    assert per_call == (1200 * 2.5 + 300 * 10.0) / 1e6
    for span in spans:
        a = span["attrs"]
        assert a[n.VIBES_COST_SOURCE] == n.COST_SOURCE_COLLECTOR and a[n.VIBES_COST_USD] == per_call
        # the instrumentation sends no cached-token count (400 were cached): said, not hidden
        assert a[n.VIBES_COST_UPPER_BOUND] is True
    total = NODE_CALLS * per_call
    job = f'{{{n.PROM_SERVICE_LABEL}="{service}"}}'
    poll(lambda: prom_total(prom_query, f"sum({n.COST.prom}{job})") >= total * 0.999, timeout=60,
         what="the collector-derived cost counter")
    out = json.loads(wl.run_cli(stack, "cost", "--service", service, "--period", "today", "--json").stdout)
    today = out["prometheus"]["periods"]["today"]
    assert today["cost_usd"] == pytest.approx(total, rel=1e-9)
    assert today["unpriced_requests"] == 0 and today["unpriced_tokens"] == 0
    metrics = json.loads(wl.run_cli(stack, "metrics", "--service", service, "--json").stdout)
    assert metrics["total"]["tokens"][n.TOKEN_INPUT] == NODE_CALLS * fake_openai.PROMPT
    for title in ("Today", "Time range"):  # the Cost dashboard's own queries (recording rules)
        expr = cost_panel_expr(title, service)
        got = poll(lambda: (lambda v: v if v >= total * 0.999 else None)(prom_total(prom_query, expr)),
                   timeout=180, what=f"Cost dashboard panel {title!r}")  # rules lag under load
        assert got == pytest.approx(total, rel=1e-9), title


def test_metrics_only_usage_is_unpriced_never_zero(stack, provider, prom_query):
    """An emitter that exports token metrics but no spans cannot be priced: every surface says so."""
    service = f"metrics-only-{uuid.uuid4().hex[:6]}"
    proc = subprocess.run([sys.executable, str(APP), "--no-traces", "--endpoint", stack.otlp_http_endpoint,
                           "--service", service, "--base-url", provider.base_url, "gpt-4o", "gpt-4o"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    tokens = 2 * (fake_openai.PROMPT + fake_openai.COMPLETION)
    expr = cost_panel_expr("Unpriced tokens", service)
    assert poll(lambda: prom_total(prom_query, expr) == tokens, timeout=60, what="the Unpriced tokens panel")
    out = json.loads(wl.run_cli(stack, "cost", "--service", service, "--period", "today", "--json").stdout)
    today = out["prometheus"]["periods"]["today"]
    assert today["unpriced_tokens"] == tokens and today["cost_usd"] == 0
    text = wl.run_cli(stack, "cost", "--service", service, "--period", "today").stdout
    assert "unknown (unpriced)" in text and "$0.00" not in text
    metrics = json.loads(wl.run_cli(stack, "metrics", "--service", service, "--json").stdout)["total"]
    assert metrics["tokens"] == {n.TOKEN_INPUT: 2 * fake_openai.PROMPT, n.TOKEN_OUTPUT: 2 * fake_openai.COMPLETION}
    assert metrics["cost_usd"] is None  # unknown, not $0

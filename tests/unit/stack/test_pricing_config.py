"""The generated collector pricing config, run in the REAL collector binary: every model of
the price table (and its dated/prefixed spellings) is priced to the same double as
vibes_sdk's PriceTable; SDK-priced spans pass untouched; garbage usage is treated as absent;
unknown models are unpriced; the derived counters count exactly the collector-priced spans."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from pathlib import Path

import pytest
import yaml
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from vibes_sdk import names as n
from vibes_sdk.cost import PriceTable, Usage, reconcile
from vibes_stack import binaries, collector_pricing, paths

TABLE = PriceTable.load()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    exe, _ = binaries.find("collector")
    assert exe, "collector binary missing: run `python -m vibes_stack binaries`"
    tmp = tmp_path_factory.mktemp("pricing")
    port = _free_port()
    body = yaml.safe_load((paths.REPO_ROOT / collector_pricing.ARTIFACT).read_text())
    cfg = {"receivers": {"otlp": {"protocols": {"http": {"endpoint": f"127.0.0.1:{port}"}}}},
           "processors": {**body["processors"], "deltatocumulative": {}},
           "connectors": body["connectors"],
           "exporters": {"file/t": {"path": str(tmp / "traces.jsonl")}, "file/m": {"path": str(tmp / "metrics.jsonl")}},
           "service": {"telemetry": {"metrics": {"level": "none"}}, "pipelines": {
               "traces": {"receivers": ["otlp"], "processors": [collector_pricing.PROCESSOR],
                          "exporters": ["file/t", collector_pricing.CONNECTOR]},
               "metrics": {"receivers": [collector_pricing.CONNECTOR], "processors": ["deltatocumulative"],
                           "exporters": ["file/m"]}}}}
    (tmp / "c.yaml").write_text(yaml.safe_dump(cfg))
    log = open(tmp / "collector.log", "w")
    proc = subprocess.Popen([exe, f"--config={tmp / 'c.yaml'}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        yield {"endpoint": f"http://127.0.0.1:{port}/v1/traces", "dir": tmp, "proc": proc}
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def _send(endpoint: str, spans: list[dict]) -> None:
    tp = TracerProvider(resource=Resource.create({"service.name": "pricing-unit"}))
    tp.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint)))
    tracer = tp.get_tracer("pricing-unit")
    deadline = time.monotonic() + 30
    while True:  # the collector may still be starting
        try:
            socket.create_connection(("127.0.0.1", int(endpoint.split(":")[2].split("/")[0])), 1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "collector did not start"
            time.sleep(0.2)
    for i, attrs in enumerate(spans):
        with tracer.start_as_current_span(f"case {i}", attributes={"case": i, **attrs}):
            pass
    tp.shutdown()


def _value(v: dict):
    (kind, val), = v.items()
    return int(val) if kind == "intValue" else val


def _docs(path: Path) -> list[dict]:
    """Complete lines only: the exporter may be writing the last one."""
    text = path.read_text() if path.exists() else ""
    return [json.loads(x) for x in text.split("\n")[:-1] if x.strip()]


def _spans(path: Path) -> list[dict]:
    return [{a["key"]: _value(a["value"]) for a in s["attributes"]}
            for d in _docs(path) for rs in d["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]


def _counters(path: Path) -> dict[tuple, float]:
    """The latest cumulative value of every (metric, attributes) stream."""
    out: dict[tuple, float] = {}
    for d in _docs(path):
        for rm in d["resourceMetrics"]:
            for sm in rm["scopeMetrics"]:
                for m in sm["metrics"]:
                    for p in m["sum"]["dataPoints"]:
                        attrs = tuple(sorted((a["key"], _value(a["value"])) for a in p["attributes"]))
                        out[(m["name"], attrs)] = float(p.get("asDouble", p.get("asInt")))
    return out


def _until(read, done, what: str):
    deadline = time.monotonic() + 30
    while True:
        value = read()
        if done(value):
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}: {value}"
        time.sleep(0.3)


def _cases() -> list[tuple[dict, float | None]]:
    """(span attributes, the cost vibes_sdk computes) for every model of the table."""
    cases = []
    for model in TABLE.models():
        price = TABLE.lookup(model)
        usage = Usage(1200, 300, 400, 100, 50)
        cases.append(({n.GEN_AI_OPERATION_NAME: "chat", n.GEN_AI_REQUEST_MODEL: model,
                       n.GEN_AI_USAGE_INPUT_TOKENS: 1200, n.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
                       n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: 400, n.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: 100,
                       n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: 50}, TABLE.cost(model, usage)))
        for threshold, _ in price.tiers:  # above a tier: the whole request at the tier's rates
            big = Usage(threshold + 1000, 10)
            cases.append(({n.GEN_AI_REQUEST_MODEL: model, n.GEN_AI_USAGE_INPUT_TOKENS: big.input_tokens,
                           n.GEN_AI_USAGE_OUTPUT_TOKENS: 10}, TABLE.cost(model, big)))
    spelled = [("openai/GPT-4o-2024-08-06", "gpt-4o"), ("us.anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
               ("models/gemini-2.5-pro", "gemini-2.5-pro")]
    for name, model in spelled:  # older spellings of the counts, provider from gen_ai.system
        cases.append(({n.GEN_AI_REQUEST_MODEL: name, "llm.usage.prompt_tokens": 1000, "llm.usage.completion_tokens": "200",
                       n.GEN_AI_SYSTEM: "x"}, TABLE.cost(model, Usage(1000, 200))))
    # the response model wins over the request model, as in the SDK
    cases.append(({n.GEN_AI_REQUEST_MODEL: "gpt-4o", n.GEN_AI_RESPONSE_MODEL: "gpt-4o-mini-2024-07-18",
                   n.GEN_AI_USAGE_INPUT_TOKENS: 1000, n.GEN_AI_USAGE_OUTPUT_TOKENS: 100},
                  TABLE.cost("gpt-4o-mini", Usage(1000, 100))))
    # counts that break the counting rules are reconciled as the SDK does (cost.reconcile):
    # Anthropic-style input without its cached part, output without reasoning, huge values
    for usage in (Usage(100, 50, 400, 60, 0), Usage(1000, 20, 0, 0, 80), Usage(5 * 10**12, 10, 0, 0, 0)):
        cases.append(({n.GEN_AI_REQUEST_MODEL: "claude-sonnet-4-5", n.GEN_AI_USAGE_INPUT_TOKENS: usage[0],
                       n.GEN_AI_USAGE_OUTPUT_TOKENS: usage[1], n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: usage[2],
                       n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: usage[3],
                       n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: usage[4]},
                      TABLE.cost("claude-sonnet-4-5", reconcile(usage, n.MAX_TOKENS_PER_VALUE))))
    # garbage or negative counts count as absent (0), never an error
    cases.append(({n.GEN_AI_REQUEST_MODEL: "gpt-4o", n.GEN_AI_USAGE_INPUT_TOKENS: "100",
                   n.GEN_AI_USAGE_OUTPUT_TOKENS: "garbage", n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: -5},
                  TABLE.cost("gpt-4o", Usage(100, 0))))
    return cases


UNKNOWN = {n.GEN_AI_REQUEST_MODEL: "unknown-model-x", n.GEN_AI_USAGE_INPUT_TOKENS: 7}
SDK_PRICED = {n.GEN_AI_REQUEST_MODEL: "gpt-4o", n.GEN_AI_USAGE_INPUT_TOKENS: 5, n.VIBES_COST_SOURCE: "sdk",
              n.VIBES_COST_USD: 1.5}
AGENT_SPAN = {n.GEN_AI_OPERATION_NAME: "invoke_agent", n.GEN_AI_USAGE_INPUT_TOKENS: 5}


def test_every_model_priced_like_the_sdk(collector):
    cases = _cases()
    assert len(cases) > len(TABLE.models())
    _send(collector["endpoint"], [a for a, _ in cases] + [UNKNOWN, SDK_PRICED, AGENT_SPAN])
    spans = sorted(_until(lambda: _spans(collector["dir"] / "traces.jsonl"), lambda s: len(s) >= len(cases) + 3,
                          "every span"), key=lambda s: s["case"])
    assert len(spans) == len(cases) + 3
    for (attrs, want), got in zip(cases, spans):
        assert got.get(n.VIBES_COST_USD) == want, (attrs, got)  # the identical double
        assert got[n.VIBES_COST_SOURCE] == n.COST_SOURCE_COLLECTOR
        assert got[n.VIBES_COST_PRICE_TABLE] == TABLE.version
        assert not [k for k in got if k.startswith("vibes.tmp.")]
    unknown, sdk, agent = spans[-3:]
    assert unknown[n.VIBES_COST_UNPRICED] is True and n.VIBES_COST_USD not in unknown
    assert sdk[n.VIBES_COST_USD] == 1.5 and sdk[n.VIBES_COST_SOURCE] == "sdk" and n.VIBES_COST_PRICE_TABLE not in sdk
    assert n.VIBES_COST_SOURCE not in agent and n.VIBES_COST_USD not in agent
    legacy = [s for s in spans if "llm.usage.prompt_tokens" in s]
    assert legacy and all(s[n.GEN_AI_PROVIDER_NAME] == "x" and s[n.GEN_AI_USAGE_INPUT_TOKENS] == 1000 for s in legacy)

    total = sum(w for _, w in cases if w)

    def of(counters, name, **attrs):
        return sum(v for (m, a), v in counters.items() if m == name and attrs.items() <= dict(a).items())
    counters = _until(lambda: _counters(collector["dir"] / "metrics.jsonl"),
                      lambda c: of(c, n.COST.name) >= total * (1 - 1e-12) and of(c, n.UNPRICED_REQUESTS.name) >= 1,
                      "the derived counters")
    assert of(counters, n.COST.name) == pytest.approx(total, rel=1e-12)
    assert of(counters, n.UNPRICED_REQUESTS.name) == 1
    # the span carries the counts as counted (reconciled); the counters add exactly those
    anthropic_style = [s for s in spans if s.get(n.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS) == 60]
    assert [s[n.GEN_AI_USAGE_INPUT_TOKENS] for s in anthropic_style] == [100 + 400 + 60]
    tokens_in = of(counters, n.TOKENS.name, **{n.GEN_AI_TOKEN_TYPE: "input"})
    assert tokens_in == sum(s[n.GEN_AI_USAGE_INPUT_TOKENS] for s in spans[:len(cases)]
                            if isinstance(s[n.GEN_AI_USAGE_INPUT_TOKENS], int)) \
        + UNKNOWN[n.GEN_AI_USAGE_INPUT_TOKENS]  # not the SDK's, not the agent's
    assert max(s[n.GEN_AI_USAGE_INPUT_TOKENS] for s in spans[:len(cases)]
               if isinstance(s[n.GEN_AI_USAGE_INPUT_TOKENS], int)) == n.MAX_TOKENS_PER_VALUE

"""Foreign GenAI instrumentation: the REAL opentelemetry-instrumentation-openai-v2 and
openai client against a local HTTP endpoint that answers a chat completion with usage."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from openai import OpenAI
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import runtime
from vibes_sdk.cost import PriceTable, Usage

PROMPT, COMPLETION, CACHED, REASONING = 1200, 300, 200, 50


class FakeOpenAI(BaseHTTPRequestHandler):
    model = "gpt-4o-mini-2024-07-18"

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        payload = json.dumps({
            "id": "chatcmpl-test1", "object": "chat.completion", "created": 1700000000,
            "model": body["model"] if body["model"].startswith("unknown") else self.model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": "hello"}}],
            "usage": {"prompt_tokens": PROMPT, "completion_tokens": COMPLETION,
                      "total_tokens": PROMPT + COMPLETION,
                      "prompt_tokens_details": {"cached_tokens": CACHED},
                      "completion_tokens_details": {"reasoning_tokens": REASONING}},
        }).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *a):
        pass


@pytest.fixture
def openai_client():
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield OpenAI(base_url=f"http://127.0.0.1:{server.server_address[1]}/v1", api_key="test-key", max_retries=0)
    server.shutdown()
    server.server_close()


@pytest.fixture
def instrumented(sdk):
    st = runtime.STATE
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=st.tracer_provider, meter_provider=st.meter_provider,
                            logger_provider=st.logger_provider)
    yield sdk
    instrumentor.uninstrument()


def chat(client, model="gpt-4o-mini"):
    return client.chat.completions.create(model=model, messages=[{"role": "user", "content": "hi"}])


def foreign_spans(sdk):
    return [s for s in sdk.spans() if s.instrumentation_scope.name != "vibes_sdk"
            and s.attributes.get(names.GEN_AI_OPERATION_NAME) == "chat"]


def test_foreign_span_gets_context_cost_and_counters(instrumented, openai_client):
    sdk = instrumented
    with vibes.session("s-oa", user_id="u-oa"), vibes.agent("oa-agent"):
        with vibes.task("answer") as task:
            reply = chat(openai_client)
    assert reply.choices[0].message.content == "hello"
    (span,) = foreign_spans(sdk)
    a = span.attributes
    assert a[names.GEN_AI_USAGE_INPUT_TOKENS] == PROMPT  # the instrumentation's own numbers
    assert a[names.VIBES_SESSION_ID] == "s-oa" and a[names.GEN_AI_AGENT_NAME] == "oa-agent"
    assert a[names.VIBES_USER_ID] == "u-oa"
    assert task.inference_calls == 1
    # cost of what the instrumentation reported (cache read / reasoning if it reports them)
    usage = Usage(PROMPT, COMPLETION, a.get(names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, 0), 0,
                  a.get(names.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS, 0))
    expected = PriceTable.load().cost("gpt-4o-mini", usage)
    assert a[names.VIBES_COST_USD] == pytest.approx(expected)
    assert sdk.total(names.COST.name) == pytest.approx(expected)
    by_type = {p.attributes[names.GEN_AI_TOKEN_TYPE]: p.value for p in sdk.metrics()[names.TOKENS.name]}
    assert by_type["input"] == PROMPT and by_type["output"] == COMPLETION
    # the semconv histogram is the instrumentation's: recorded once per call, not twice
    usage_points = sdk.metrics()[names.TOKEN_USAGE.name]
    assert sum(p.count for p in usage_points) == 2  # one input + one output record
    assert sum(p.sum for p in usage_points if p.attributes[names.GEN_AI_TOKEN_TYPE] == "input") == PROMPT
    assert sdk.hist_count(names.OPERATION_DURATION.name) == 1


def test_inside_own_llm_call_counted_once(instrumented, openai_client):
    sdk = instrumented
    with vibes.llm_call(model="gpt-4o-mini", provider="openai") as call:
        chat(openai_client)  # caller records no usage: the nested span's is adopted
    with vibes.llm_call(model="gpt-4o-mini", provider="openai") as call2:
        chat(openai_client)
        call2.record_usage(PROMPT, COMPLETION)  # caller records it: the nested one is not added
    by_type = {p.attributes[names.GEN_AI_TOKEN_TYPE]: p.value for p in sdk.metrics()[names.TOKENS.name]}
    assert by_type["input"] == 2 * PROMPT and by_type["output"] == 2 * COMPLETION
    assert sdk.total(names.COST.name) == pytest.approx((call.cost_usd or 0) + (call2.cost_usd or 0))
    assert call.cost_usd and call2.cost_usd


def test_unpriced_foreign_model(instrumented, openai_client):
    sdk = instrumented
    chat(openai_client, model="unknown-model-x")
    (span,) = foreign_spans(sdk)
    assert span.attributes[names.VIBES_COST_UNPRICED] is True
    assert sdk.total(names.UNPRICED_REQUESTS.name) == 1


def test_foreign_spans_counted_when_sampled_out(sdk_factory, openai_client):
    sdk = sdk_factory(sampler="always_off")
    st = runtime.STATE
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=st.tracer_provider, meter_provider=st.meter_provider,
                            logger_provider=st.logger_provider)
    try:
        with vibes.task("t", agent="x") as task:
            for _ in range(3):
                chat(openai_client)
    finally:
        instrumentor.uninstrument()
    assert sdk.spans() == []
    by_type = {p.attributes[names.GEN_AI_TOKEN_TYPE]: p.value for p in sdk.metrics()[names.TOKENS.name]}
    assert by_type["input"] == 3 * PROMPT
    assert task.inference_calls == 3

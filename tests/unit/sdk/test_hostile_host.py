"""The SDK's promises held against a hostile host: one hostile behaviour at a time.

Every test exports OTLP to a live local receiver (``OtlpSink``, decoding protobuf like a
collector) and checks what ARRIVED, not what the SDK meant to send.
"""

from __future__ import annotations

import json
import logging
import time

import pytest
from opentelemetry import metrics as otel_metrics
from opentelemetry import trace as otel_trace

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import runtime
from vibes_sdk.config import load_config

from .otlp_sink import OtlpSink

FAST = {"traces_exporter": "otlp", "metrics_exporter": "otlp", "logs_exporter": "otlp",
        "metric_export_interval": 0.2, "flush_interval": 0.05, "export_timeout": 5, "system_metrics": False}


@pytest.fixture
def sink():
    with OtlpSink() as s:
        yield s


@pytest.fixture
def live(sink):
    """vibes_sdk exporting everything to the live receiver."""
    vibes.shutdown(5)
    vibes.init(endpoint=sink.endpoint, service_name="hostile-host", **FAST)
    yield sink
    vibes.shutdown(5)
    runtime.COST_TRACKER.reset()


def wait_for(check, what, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        vibes.flush(5)
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def points(sink, metric, **labels):
    return [v for _, name, attrs, v in sink.metric_points()
            if name == metric and all(attrs.get(k) == val for k, val in labels.items())]


def latest(sink, metric, **labels):
    found = points(sink, metric, **labels)
    return found[-1] if found else None


def span_named(sink, name):
    return [s for _, s in sink.spans() if s["name"] == name]


def good_call(marker: str) -> None:
    with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"marker": marker}) as c:
        c.record_usage(100, 10)


# ------------------------------------------------------------------ 1. huge values
@pytest.mark.parametrize("huge", [10**30, 2**64, 1e30])
def test_oversized_token_count_is_clamped_and_later_exports_still_arrive(live, huge):
    with vibes.llm_call(model="gpt-4o", provider="openai") as c:
        c.record_usage(input_tokens=huge, output_tokens=5)
    tokens = names.TOKENS.name
    input_total = wait_for(lambda: latest(live, tokens, **{names.GEN_AI_TOKEN_TYPE: "input"}), "the input token counter")
    assert input_total == names.MAX_TOKENS_PER_VALUE
    assert wait_for(lambda: latest(live, names.SDK_DROPPED.name, reason="value_clamped"), "the clamp count") >= 1
    good_call("after")  # the process keeps exporting: later calls add up
    wait_for(lambda: latest(live, tokens, **{names.GEN_AI_TOKEN_TYPE: "output"}) == 15, "later exports")


def test_running_total_stays_in_int64_range(live):
    # 9.2 million calls of the largest value would cross 2**63; the counter itself is driven
    # here with the same adds the accounting makes, three of them past the range
    tokens = runtime.STATE.inst.tokens
    for _ in range(3):
        tokens.add(2**62, {names.GEN_AI_TOKEN_TYPE: "input"})
    total = wait_for(lambda: latest(live, names.TOKENS.name, **{names.GEN_AI_TOKEN_TYPE: "input"}), "input tokens")
    assert total == 2**63 - 1
    good_call("after")
    wait_for(lambda: latest(live, names.TOKENS.name, **{names.GEN_AI_TOKEN_TYPE: "output"}) == 10, "later exports")


def test_a_foreign_unencodable_point_costs_only_itself(live):
    meter = otel_metrics.get_meter("some.library")
    meter.create_counter("foreign.huge").add(10**30)
    meter.create_counter("foreign.fine").add(3)
    good_call("x")
    wait_for(lambda: latest(live, "foreign.fine") == 3, "the foreign point that can be encoded")
    wait_for(lambda: latest(live, names.SDK_DROPPED.name, signal="metrics", reason="unencodable"),
             "the unencodable point counted as dropped")
    assert not points(live, "foreign.huge")
    assert latest(live, names.TOKENS.name, **{names.GEN_AI_TOKEN_TYPE: "input"}) == 100


def test_huge_time_to_first_chunk_is_ignored(live):
    with vibes.llm_call(model="gpt-4o", provider="openai") as c:
        c.record_time_to_first_chunk(10**400)
        c.record_time_to_first_chunk(float("inf"))
        c.record_usage(1, 1)
    wait_for(lambda: span_named(live, "chat gpt-4o"), "the span")


# ------------------------------------------------------------------ 2. surrogates
LONE = "bad\ud800text"


def test_lone_surrogates_never_fail_a_batch(live):
    with vibes.session(LONE, user_id=LONE), vibes.agent(LONE):
        with vibes.llm_call(model=LONE, provider=LONE, attributes={LONE: LONE}) as c:
            c.record_usage(3, 4)
            c.set_response(model=LONE, id=LONE, finish_reasons=[LONE])
            c.set_attribute("k", LONE)
        with vibes.tool_call(LONE):
            pass
        vibes.get_logger(LONE).warning(LONE, field=LONE)
        with vibes.session("s2") as s:
            s.record_event(LONE, value=LONE)
    good_call("after-surrogates")
    clean = "bad\ufffdtext"
    wait_for(lambda: span_named(live, f"chat {clean}"), "the span with a cleaned model name")
    wait_for(lambda: span_named(live, f"execute_tool {clean}"), "the tool span")
    wait_for(lambda: [s for s in span_named(live, "chat gpt-4o") if s["attributes"].get("marker") == "after-surrogates"],
             "the next call's span")
    wait_for(lambda: [r for _, r in live.logs() if r["body"] == clean and r["attributes"].get("field") == clean],
             "the log record")
    wait_for(lambda: [r for _, r in live.logs() if r["attributes"].get(names.LOG_EVENT_NAME) == clean],
             "the event record")
    wait_for(lambda: latest(live, names.TOKENS.name, **{names.GEN_AI_REQUEST_MODEL: clean,
                                                        names.GEN_AI_TOKEN_TYPE: "input"}) == 3,
             "the metric with a cleaned label")


def test_a_foreign_span_that_cannot_be_encoded_costs_only_itself(live):
    tracer = otel_trace.get_tracer("some.library")
    with tracer.start_as_current_span(f"foreign-{LONE}"):  # its own name cannot be encoded
        pass
    with tracer.start_as_current_span("foreign-good") as span:
        span.set_attribute("x", 10**30)  # the encoder leaves out this one value, not the span
    good_call("after-foreign")
    wait_for(lambda: span_named(live, "foreign-good"), "the good foreign span")
    wait_for(lambda: latest(live, names.SDK_DROPPED.name, signal="traces", reason="unencodable"), "the drop count")
    assert not [s for _, s in live.spans() if s["name"].startswith("foreign-bad")]
    assert [s for s in span_named(live, "chat gpt-4o") if s["attributes"].get("marker") == "after-foreign"]


# ------------------------------------------------------------------ 4. log sizes
def test_big_log_records_are_bounded_and_split_under_the_request_limit(live):
    log = vibes.get_logger("bulk")
    big = "x" * 150_000
    for i in range(600):
        log.warning("record %d", i, payload=big)
    for i in range(50):
        log.warning("y" * 1_000_000)  # a 1 MB body
    records = wait_for(lambda: [r for _, r in live.logs() if str(r["body"]).startswith(("record ", "yyyy"))]
                       if len([1 for _, r in live.logs() if str(r["body"]).startswith(("record ", "yyyy"))]) >= 650
                       else None, "all 650 records", timeout=60)
    limit = load_config(env={}).max_attribute_length
    assert all(len(r["attributes"]["payload"]) <= limit for r in records if "payload" in r["attributes"])
    assert all(len(r["body"]) <= load_config(env={}).max_log_body_length + 20 for r in records)
    biggest = max(size for path, size in live.requests if path == "/v1/logs")
    assert biggest < 8 * 1024 * 1024, biggest  # each request well under the collector's 20 MiB


def test_log_queue_is_bounded_in_bytes_and_the_drops_are_counted():
    import threading
    release = threading.Event()
    with OtlpSink(hold=release) as held:
        vibes.shutdown(5)
        vibes.init(endpoint=held.endpoint, service_name="bytes", max_queue_bytes=300_000, **FAST)
        try:
            log = vibes.get_logger("bulk")
            for i in range(400):
                log.warning("r %d", i, payload="z" * 4000)
            state = runtime.STATE
            budget = next(b for b in state.budgets if b.signal == "logs")
            assert budget.bytes <= 300_000
            assert runtime.guard.DROPS.get(("logs", "queue_bytes"), 0) > 0
        finally:
            release.set()
            vibes.shutdown(5)


# ------------------------------------------------------------------ 5. garbage objects
class RaisingStr:
    def __str__(self):
        raise RuntimeError("no str")

    __repr__ = __str__


class NonStrStr:
    def __str__(self):
        return 42  # type: ignore[return-value]


class RaisingInt:
    def __int__(self):
        raise RuntimeError("no int")

    def __index__(self):
        raise RuntimeError("no index")

    def __float__(self):
        raise RuntimeError("no float")

    def __bool__(self):
        raise RuntimeError("no bool")

    def __str__(self):
        raise RuntimeError("no str")


class Unhashable:
    __hash__ = None  # type: ignore[assignment]


def deep(n=100_000):
    value: list = []
    for _ in range(n):
        value = [value]
    return value


HOSTILE = [RaisingStr(), NonStrStr(), RaisingInt(), Unhashable(), deep(), 10**400, float("nan"), LONE]


def every_public_call(v) -> None:
    with vibes.session(v, user_id=v, cost_center=v) as s, vibes.agent(v, agent_id=v, model=v):
        s.record_event(v, field=v)
        s.record_message(v, n=v)
        with vibes.swarm(v, cost_center=v) as sw:
            sw.set_utilization(v)
            with sw.coordination():
                pass
        with vibes.user(v), vibes.cost_center(v), vibes.model(v), vibes.workflow(v):
            with vibes.task(v, agent=v, agent_id=v) as t:
                t.set_attribute("k", v)
                with vibes.llm_call(model=v, provider=v, operation=v, attributes={"a": v, v if isinstance(v, str) else "b": v}) as c:
                    c.record_usage(v, v, cache_read_tokens=v, cache_creation_tokens=v, reasoning_tokens=v, cache_write_tokens=v)
                    c.set_response(model=v, id=v, finish_reasons=v)
                    c.record_time_to_first_chunk(v)
                    c.record_input(v, system_instructions=v)
                    c.record_output(v)
                    c.set_error(v)
                with vibes.tool_call(v, call_id=v, tool_type=v, arguments=v) as tool:
                    tool.record_result(v)
        vibes.get_logger(v).warning(v, x=v)
        vibes.inject({"k": "v"})
        with vibes.extract(v):
            pass
    deco = vibes.instrument(name=v, kind=v)
    assert deco(len)("abc") == 3


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: type(v).__name__)
def test_hostile_values_never_raise_before_init(value):
    vibes.shutdown(5)
    every_public_call(value)


@pytest.mark.parametrize("value", HOSTILE, ids=lambda v: type(v).__name__)
def test_hostile_values_never_raise_after_init_and_cost_nothing_else(live, value):
    every_public_call(value)
    good_call(f"after-{type(value).__name__}")
    wait_for(lambda: [s for s in span_named(live, "chat gpt-4o")
                      if s["attributes"].get("marker") == f"after-{type(value).__name__}"], "the next good call")
    wait_for(lambda: latest(live, names.TOKENS.name, **{names.GEN_AI_REQUEST_MODEL: "gpt-4o",
                                                        names.GEN_AI_TOKEN_TYPE: "input"}) == 100, "its tokens")


# ------------------------------------------------------------------ 6. generators
def test_a_paused_generator_is_not_the_callers_current_span(live):
    @vibes.instrument(name="stream", kind="task")
    def stream():
        for i in range(3):
            with vibes.llm_call(model="gpt-4o", provider="openai") as c:
                c.record_usage(1, 1)
            yield i

    with vibes.task("caller") as outer:
        gen = stream()
        next(gen)
        with vibes.tool_call("caller-tool"):  # between two resumptions: the caller's own call
            pass
        list(gen)
    vibes.flush(5)
    wait_for(lambda: span_named(live, "invoke_agent stream"), "the generator's span")
    stream_span = span_named(live, "invoke_agent stream")[0]
    assert stream_span["attributes"][names.VIBES_TASK_INFERENCE_CALLS] == 3
    assert stream_span["attributes"][names.VIBES_TASK_TOOL_CALLS] == 0  # the caller's tool is not its
    assert outer.tool_calls == 1
    assert otel_trace.get_current_span().get_span_context().is_valid is False


def test_a_paused_async_generator_is_not_the_callers_current_span(live):
    import asyncio

    @vibes.instrument(name="astream", kind="task")
    async def astream():
        for i in range(2):
            await asyncio.sleep(0)
            with vibes.llm_call(model="gpt-4o", provider="openai") as c:
                c.record_usage(1, 1)
            yield i

    async def main():
        with vibes.task("caller") as outer:
            agen = astream()
            await agen.__anext__()
            with vibes.tool_call("caller-tool"):
                pass
            rest = [i async for i in agen]
        return outer, rest

    outer, rest = asyncio.run(main())
    assert rest == [1]
    wait_for(lambda: span_named(live, "invoke_agent astream"), "the async generator's span")
    span = span_named(live, "invoke_agent astream")[0]
    assert span["attributes"][names.VIBES_TASK_INFERENCE_CALLS] == 2
    assert span["attributes"][names.VIBES_TASK_TOOL_CALLS] == 0
    assert outer.tool_calls == 1


# ------------------------------------------------------------------ 7. usage that contradicts itself
def test_cache_reads_above_input_mean_input_excluded_them(live):
    with vibes.llm_call(model="claude-3-5-sonnet", provider="anthropic") as c:
        c.record_usage(input_tokens=100, output_tokens=10, cache_read_tokens=1000)
    span = wait_for(lambda: span_named(live, "chat claude-3-5-sonnet"), "the span")[0]
    assert span["attributes"][names.GEN_AI_USAGE_INPUT_TOKENS] == 1100
    expected = (100 * 3.0 + 1000 * 0.3 + 10 * 15.0) / 1e6
    assert span["attributes"][names.VIBES_COST_USD] == pytest.approx(expected)
    wait_for(lambda: latest(live, names.TOKENS.name, **{names.GEN_AI_TOKEN_TYPE: "input"}) == 1100, "tokens agree")


def test_cache_creation_and_cache_write_are_one_quantity(live):
    with vibes.llm_call(model="claude-3-5-sonnet", provider="anthropic") as c:
        c.record_usage(input_tokens=1000, output_tokens=0, cache_creation_tokens=400, cache_write_tokens=400)
    span = wait_for(lambda: span_named(live, "chat claude-3-5-sonnet"), "the span")[0]
    assert span["attributes"][names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 400
    assert span["attributes"][names.VIBES_COST_USD] == pytest.approx((600 * 3.0 + 400 * 3.75) / 1e6)


@pytest.mark.parametrize("model, price_in, price_out", [
    ("gpt-4o-2024-05-13", 5.0, 15.0), ("chatgpt-4o-latest", 5.0, 15.0), ("gpt-3.5-turbo-1106", 1.0, 2.0),
    ("claude-3-5-sonnet-v2@20241022", 3.0, 15.0), ("openai/gpt-4o-2024-05-13", 5.0, 15.0),
    ("gpt-4o-2024-08-06", 2.5, 10.0), ("gpt-4o", 2.5, 10.0),
])
def test_dated_snapshots_are_priced_as_the_provider_prices_them(model, price_in, price_out):
    from vibes_sdk.cost import PriceTable, Usage
    assert PriceTable.load().cost(model, Usage(1_000_000, 1_000_000)) == pytest.approx(price_in + price_out)


# ------------------------------------------------------------------ 8. secrets
SECRET = "sk-proj-abcdefghijklmnopqrstuvwx"


def test_secret_looking_values_are_masked_before_export(live):
    with vibes.session("s") as s:
        with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"note": f"key {SECRET}"}) as c:
            c.record_usage(1, 1)
            c.set_attribute("auth", "Bearer abcdefghijklmnop")
        s.record_event("login", who="alice@example.com")
    vibes.get_logger("app").warning("calling with %s", SECRET, token=SECRET)
    vibes.flush(5)
    span = wait_for(lambda: span_named(live, "chat gpt-4o"), "the span")[0]
    assert span["attributes"]["note"] == "key [redacted]"
    assert span["attributes"]["auth"] == "[redacted]"
    wait_for(lambda: [r for _, r in live.logs() if r["body"] == "calling with [redacted]"
                      and r["attributes"]["token"] == "[redacted]"], "the masked log record")
    wait_for(lambda: [r for _, r in live.logs() if r["attributes"].get("who") == "[redacted]"], "the masked event")
    assert not any(SECRET in body.decode("latin-1") for _, body in live.bodies)


def test_exception_messages_are_withheld_without_content_capture(live):
    prompt, other = "my password is hunter2", "prompt text here"  # runtime values, as in an app
    with pytest.raises(ValueError):
        with vibes.llm_call(model="gpt-4o", provider="openai"):
            raise ValueError(f"the prompt said: {prompt}")
    try:
        raise KeyError(other)
    except KeyError:
        vibes.get_logger("app").exception("failed")
    vibes.flush(5)
    span = wait_for(lambda: span_named(live, "chat gpt-4o"), "the span")[0]
    (event_name, event), = span["events"]
    assert event_name == "exception" and event["exception.type"] == "ValueError"
    assert "exception.message" not in event
    assert not any(b"hunter2" in body or b"prompt text here" in body for _, body in live.bodies)


def test_config_repr_and_header_errors_never_show_credentials():
    cfg = load_config(env={}, headers={"Authorization": "Bearer topsecret-token"})
    assert "topsecret" not in repr(cfg) and "Authorization" in repr(cfg)
    with pytest.raises(vibes.ConfigError) as err:
        load_config(env={"OTEL_EXPORTER_OTLP_HEADERS": "Authorization=Bearer topsecret-token,broken"})
    assert "topsecret" not in str(err.value) and "OTEL_EXPORTER_OTLP_HEADERS" in str(err.value)


# ------------------------------------------------------------------ 9. manners
def test_init_leaves_the_hosts_logging_alone(sink):
    vibes.shutdown(5)
    root = logging.getLogger()
    before = root.level
    root.setLevel(logging.WARNING)
    try:
        vibes.init(endpoint=sink.endpoint, service_name="manners", **FAST)
        assert root.level == logging.WARNING
        logging.getLogger("httpx").info("HTTP Request: POST https://api.openai.com/v1/chat/completions")
        vibes.get_logger("agent").info("agent info line")  # the SDK's own logger: its log_level
        vibes.flush(5)
        wait_for(lambda: [r for _, r in sink.logs() if r["body"] == "agent info line"], "the vibes logger's record")
        assert not [r for _, r in sink.logs() if "HTTP Request" in str(r["body"])]
    finally:
        vibes.shutdown(5)
        root.setLevel(before)


def test_a_raising_redact_hook_does_not_lose_the_span(sink):
    def hook(text):
        raise RuntimeError("hook broke")
    vibes.shutdown(5)
    vibes.init(endpoint=sink.endpoint, service_name="hook", capture_content=True, redact=hook, **FAST)
    try:
        with vibes.tool_call("search", arguments={"q": "x"}) as tool:
            tool.record_result("y")
        span = wait_for(lambda: span_named(sink, "execute_tool search"), "the tool span")[0]
        assert span["attributes"][names.GEN_AI_TOOL_CALL_ARGUMENTS] == "[redaction failed]"
    finally:
        vibes.shutdown(5)


def test_telemetry_left_queued_by_a_timed_out_shutdown_is_counted():
    import threading
    release = threading.Event()
    with OtlpSink(hold=release) as held:
        vibes.shutdown(5)
        vibes.init(endpoint=held.endpoint, service_name="late", **FAST)
        try:
            for i in range(20):
                good_call(str(i))
                time.sleep(0.01)
            before = dict(runtime.guard.DROPS)
            assert vibes.shutdown(0.5) is False
            added = runtime.guard.DROPS.get(("traces", "shutdown_timeout"), 0) - before.get(("traces", "shutdown_timeout"), 0)
            # every span: the ones still queued AND the request held in flight (none was answered)
            assert added == 20
        finally:
            release.set()


def test_dropped_counter_is_reported_even_when_a_point_cannot_be_encoded(live):
    otel_metrics.get_meter("lib").create_counter("poison").add(2**70)
    good_call("x")
    wait_for(lambda: points(live, names.SDK_DROPPED.name), "vibes.sdk.dropped among the exported points")


def test_json_content_with_cycles_and_depth_is_described_not_raised(sink):
    vibes.shutdown(5)
    vibes.init(endpoint=sink.endpoint, service_name="content", capture_content=True, **FAST)
    try:
        cyclic: dict = {}
        cyclic["self"] = cyclic
        with vibes.llm_call(model="gpt-4o", provider="openai") as c:
            c.record_input([cyclic, deep(5000)])
            c.record_usage(1, 1)
        span = wait_for(lambda: span_named(sink, "chat gpt-4o"), "the span")[0]
        assert isinstance(span["attributes"][names.GEN_AI_INPUT_MESSAGES], str)
        json.dumps(span["attributes"])  # everything that arrived is plain data
    finally:
        vibes.shutdown(5)

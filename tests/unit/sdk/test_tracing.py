"""Span names/attributes per GenAI semconv and the metric values they produce."""

from __future__ import annotations

import asyncio

import pytest
from opentelemetry.trace import SpanKind, StatusCode

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk.cost import PriceTable, Usage

PRICES = PriceTable.load()


def test_llm_call_span_and_metrics(sdk):
    with vibes.session("sess-1", user_id="u-1", cost_center="research"), vibes.agent("planner", agent_id="a-1"):
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(input_tokens=1000, output_tokens=200, cache_read_tokens=400, reasoning_tokens=50)
            call.set_response(model="gpt-4o-2024-08-06", id="resp-9", finish_reasons=["stop"])
    span = sdk.span("chat gpt-4o")
    a = span.attributes
    assert span.kind is SpanKind.CLIENT
    assert a[names.GEN_AI_OPERATION_NAME] == "chat"
    assert a[names.GEN_AI_PROVIDER_NAME] == "openai"
    assert a[names.GEN_AI_REQUEST_MODEL] == "gpt-4o"
    assert a[names.GEN_AI_RESPONSE_MODEL] == "gpt-4o-2024-08-06"
    assert a[names.GEN_AI_RESPONSE_ID] == "resp-9"
    assert tuple(a[names.GEN_AI_RESPONSE_FINISH_REASONS]) == ("stop",)
    assert a[names.GEN_AI_USAGE_INPUT_TOKENS] == 1000
    assert a[names.GEN_AI_USAGE_OUTPUT_TOKENS] == 200
    assert a[names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 400
    assert a[names.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] == 50
    # context stamped
    assert a[names.VIBES_SESSION_ID] == "sess-1"
    assert a[names.VIBES_USER_ID] == "u-1"
    assert a[names.GEN_AI_AGENT_NAME] == "planner"
    assert a[names.GEN_AI_AGENT_ID] == "a-1"
    assert a[names.VIBES_COST_CENTER] == "research"
    expected_cost = PRICES.cost("gpt-4o", Usage(1000, 200, 400, 0, 50))
    assert a[names.VIBES_COST_USD] == pytest.approx(expected_cost)

    model_labels = {names.GEN_AI_OPERATION_NAME: "chat", names.GEN_AI_PROVIDER_NAME: "openai",
                    names.GEN_AI_REQUEST_MODEL: "gpt-4o", names.GEN_AI_AGENT_NAME: "planner",
                    names.VIBES_COST_CENTER: "research"}
    m = sdk.metrics()
    tokens = {p.attributes[names.GEN_AI_TOKEN_TYPE]: p.value for p in m[names.TOKENS.name]}
    assert tokens == {"input": 1000, "output": 200, "cache_read": 400, "reasoning": 50}
    for p in m[names.TOKENS.name]:
        assert {k: v for k, v in p.attributes.items() if k != names.GEN_AI_TOKEN_TYPE} == model_labels
    assert sdk.total(names.COST.name) == pytest.approx(expected_cost)
    usage = {p.attributes[names.GEN_AI_TOKEN_TYPE]: (p.count, p.sum, tuple(p.bounds)) for p in m[names.TOKEN_USAGE.name]}
    assert usage == {"input": (1, 1000, names.TOKEN_BUCKETS), "output": (1, 200, names.TOKEN_BUCKETS)}
    (dur,) = m[names.OPERATION_DURATION.name]
    assert dur.count == 1 and tuple(dur.bounds) == names.DURATION_BUCKETS and dur.attributes == model_labels
    # no unbounded ids on any metric
    for points in m.values():
        for p in points:
            assert not set(p.attributes) & names.HIGH_CARDINALITY_ATTRIBUTES


def test_labels_are_only_the_declared_ones(sdk):
    with vibes.llm_call(model="m", provider="p", attributes={"server.address": "api.x", "request.id": "r1"}) as c:
        c.record_usage(1, 1)
    for inst in names.INSTRUMENTS:
        for p in sdk.metrics().get(inst.name, []):
            assert set(p.attributes) <= set(inst.labels), (inst.name, p.attributes)


def test_unpriced_model_is_marked_counted_and_warned_once(sdk, caplog):
    for _ in range(3):
        with vibes.llm_call(model="secret-model-7", provider="acme") as c:
            c.record_usage(100, 10)
    spans = sdk.spans()
    assert all(s.attributes[names.VIBES_COST_UNPRICED] is True for s in spans)
    assert all(names.VIBES_COST_USD not in s.attributes for s in spans)
    assert sdk.total(names.UNPRICED_REQUESTS.name) == 3
    assert sdk.total(names.COST.name) == 0
    warnings = [r for r in caplog.records if "secret-model-7" in r.getMessage()]
    assert len(warnings) == 1


def test_time_to_first_chunk_and_error(sdk):
    with pytest.raises(TimeoutError):
        with vibes.llm_call(model="gpt-4o-mini", provider="openai") as c:
            c.first_chunk()
            raise TimeoutError("upstream")
    span = sdk.span("chat gpt-4o-mini")
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes[names.ERROR_TYPE] == "TimeoutError"
    (dur,) = sdk.metrics()[names.OPERATION_DURATION.name]
    assert dur.attributes[names.ERROR_TYPE] == "TimeoutError"
    assert sdk.hist_count(names.TIME_TO_FIRST_CHUNK.name) == 1


def test_task_counts_calls_and_nests_spans(sdk):
    with vibes.agent("coder"):
        with vibes.task("fix bug") as t:
            for _ in range(3):
                with vibes.llm_call(model="claude-sonnet-4", provider="anthropic") as c:
                    c.record_usage(10, 5)
            with vibes.tool_call("grep", call_id="call-1") as tool:
                tool.record_result("secret output")
    assert (t.inference_calls, t.tool_calls) == (3, 1)
    task_span = sdk.span("invoke_agent coder")
    assert task_span.attributes[names.GEN_AI_OPERATION_NAME] == "invoke_agent"
    assert task_span.attributes[names.VIBES_TASK_NAME] == "fix bug"
    assert task_span.attributes[names.VIBES_TASK_INFERENCE_CALLS] == 3
    tool_span = sdk.span("execute_tool grep")
    assert tool_span.attributes[names.GEN_AI_TOOL_CALL_ID] == "call-1"
    assert names.GEN_AI_TOOL_CALL_RESULT not in tool_span.attributes  # content off by default
    assert tool_span.parent.span_id == task_span.context.span_id
    m = sdk.metrics()
    (calls,) = m[names.TASK_INFERENCE_CALLS.name]
    assert (calls.count, calls.sum, tuple(calls.bounds)) == (1, 3, names.COUNT_BUCKETS)
    (tools,) = m[names.TASK_TOOL_CALLS.name]
    assert tools.sum == 1
    (tool_dur,) = m[names.TOOL_DURATION.name]
    assert tool_dur.attributes == {names.GEN_AI_TOOL_NAME: "grep", names.GEN_AI_AGENT_NAME: "coder"}
    assert sdk.hist_count(names.AGENT_TASK_DURATION.name) == 1
    assert sdk.total(names.AGENT_SPAWNED.name) == 1
    assert sdk.total(names.AGENT_ACTIVE.name) == 0  # back to zero after exit


def test_workflow_span(sdk):
    with vibes.workflow("triage"):
        pass
    span = sdk.span("invoke_workflow triage")
    assert span.attributes[names.GEN_AI_WORKFLOW_NAME] == "triage"


def test_content_capture_opt_in_truncated_and_redacted(sdk_factory):
    sdk = sdk_factory(capture_content=True, content_max_length=60,
                      redact=lambda s: s.replace("sk-123", "[REDACTED]"))
    with vibes.llm_call(model="gpt-4o") as c:
        c.record_input([{"role": "user", "content": "key sk-123 " + "x" * 100}])
        c.record_output("short answer")
    a = sdk.span("chat gpt-4o").attributes
    assert "[REDACTED]" in a[names.GEN_AI_INPUT_MESSAGES] and "sk-123" not in a[names.GEN_AI_INPUT_MESSAGES]
    assert a[names.GEN_AI_INPUT_MESSAGES].endswith("…[truncated]")
    assert a[names.GEN_AI_OUTPUT_MESSAGES] == "short answer"


def test_attribute_values_are_truncated(sdk_factory):
    sdk = sdk_factory(max_attribute_length=32)
    with vibes.llm_call(model="m", attributes={"custom": "y" * 1000}):
        pass
    assert sdk.spans()[0].attributes["custom"] == "y" * 32


def test_instrument_sync_async_generators(sdk):
    @vibes.instrument
    def plain(x):
        return x * 2

    @vibes.instrument(name="gen", kind="tool")
    def gen(n):
        yield from range(n)

    @vibes.instrument(kind="task")
    async def coro():
        await asyncio.sleep(0)
        return "ok"

    @vibes.instrument(name="agen")
    async def agen():
        for i in range(2):
            yield i

    async def drain():
        return [i async for i in agen()]

    assert plain(2) == 4
    assert list(gen(3)) == [0, 1, 2]
    assert asyncio.run(coro()) == "ok"
    assert asyncio.run(drain()) == [0, 1]
    got = {s.name for s in sdk.spans()}
    assert {"test_instrument_sync_async_generators.<locals>.plain", "execute_tool gen", "agen"} <= got
    assert any(n.startswith("invoke_agent") for n in got)


def test_instrument_records_errors(sdk):
    @vibes.instrument
    def boom():
        raise ValueError("bad")

    with pytest.raises(ValueError):
        boom()
    (span,) = sdk.spans()
    assert span.attributes[names.ERROR_TYPE] == "ValueError"


def test_session_metrics(sdk):
    with vibes.session(cost_center="cc") as s:
        s.record_event("handoff", to="reviewer")
        s.record_message()
        s.record_message(n=2)
        assert sdk.total(names.SESSION_ACTIVE.name) == 1
    assert sdk.total(names.SESSION_ACTIVE.name) == 0
    assert sdk.total(names.SESSION_EVENTS.name) == 1
    assert sdk.total(names.SESSION_MESSAGES.name) == 3
    assert sdk.hist_count(names.SESSION_DURATION.name) == 1
    events = [r for r in sdk.logs() if r.attributes.get(names.LOG_EVENT_NAME) == "handoff"]
    assert events and events[0].attributes["to"] == "reviewer"


def test_swarm_metrics(sdk):
    with vibes.swarm("sw-1") as sw:
        with vibes.agent("a"):
            with vibes.agent("b"):
                with vibes.task("t"):
                    points = sdk.metrics()[names.SWARM_AGENT_UTILIZATION.name]
                    assert points[0].value == pytest.approx(0.5)  # b busy, a idle
        with sw.coordination():
            pass
        assert sdk.total(names.SWARM_ACTIVE.name) == 1
    assert sdk.total(names.SWARM_ACTIVE.name) == 0
    assert sdk.hist_count(names.SWARM_COORDINATION_DURATION.name) == 1


def test_cost_tracker_sees_calls(sdk):
    with vibes.session("s-9"), vibes.agent("ag"):
        with vibes.llm_call(model="gpt-4o-mini", provider="openai") as c:
            c.record_usage(1_000_000, 0)
    tracker = vibes.cost_tracker()
    assert tracker.today() == pytest.approx(PRICES.cost("gpt-4o-mini", Usage(1_000_000, 0)))
    assert tracker.by_session()["s-9"] == tracker.today()
    assert tracker.by_agent()["ag"] == tracker.today()


def test_sampling_does_not_change_metrics(sdk_factory):
    def workload():
        for i in range(50):
            with vibes.task("t", agent="w"):
                with vibes.llm_call(model="gpt-4o", provider="openai") as c:
                    c.record_usage(100 + i, 10)
                with vibes.tool_call("x"):
                    pass

    full = sdk_factory(sampler="always_on")
    workload()
    expected = {k: full.total(k) for k in (names.TOKENS.name, names.COST.name)}
    expected_counts = full.hist_count(names.TASK_INFERENCE_CALLS.name)
    assert len(full.spans()) == 150
    vibes.shutdown(5)
    vibes.cost_tracker().reset()

    none = sdk_factory(sampler="always_off")
    workload()
    assert none.spans() == []  # nothing exported...
    for k, v in expected.items():  # ...yet the totals are exact
        assert none.total(k) == pytest.approx(v)
    assert none.hist_count(names.TASK_INFERENCE_CALLS.name) == expected_counts
    assert none.total(names.TASK_INFERENCE_CALLS.name) == 50


def test_scope_entered_before_init_does_not_skew_gauges(sdk_factory):
    scope = vibes.session("early")
    with scope:
        sdk = sdk_factory()  # init happens inside the scope
    with vibes.agent("late"):
        pass
    assert sdk.total(names.SESSION_ACTIVE.name) == 0  # no -1 for a +1 that never happened
    assert sdk.hist_count(names.SESSION_DURATION.name) == 0
    assert sdk.total(names.AGENT_ACTIVE.name) == 0 and sdk.total(names.AGENT_SPAWNED.name) == 1


def test_shutdown_inside_a_unit_still_closes_it(sdk):
    from vibes_sdk.tracing import _CURRENT_LLM, _CURRENT_TASK
    with vibes.task("t", agent="x"):
        with vibes.llm_call(model="gpt-4o") as c:
            c.record_usage(1, 1)
            vibes.shutdown(5)
    assert _CURRENT_TASK.get() is None and _CURRENT_LLM.get() is None
    assert vibes.current_context().agent_name is None


def test_internal_failure_in_exit_is_swallowed_and_span_ended(sdk, monkeypatch):
    from vibes_sdk._internal import runtime
    monkeypatch.setattr(runtime.STATE, "account", lambda **kw: 1 / 0)
    with vibes.llm_call(model="gpt-4o") as c:
        c.record_usage(1, 1)
    (span,) = sdk.spans()
    assert span.name == "chat gpt-4o" and span.end_time is not None
    from vibes_sdk._internal import guard
    assert guard.DROPS.get(("traces", "sdk_error"), 0) >= 1

"""Context propagation: threads, asyncio tasks, processes (inject/extract), stamping."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import vibes_sdk as vibes
from vibes_sdk import names


def test_scopes_nest_and_restore():
    assert vibes.current_context().session_id is None
    with vibes.session("s1", user_id="u1") as s:
        assert s.session_id == "s1"
        with vibes.agent("planner", agent_id="a1"), vibes.cost_center("ops"), vibes.model("gpt-4o"):
            ctx = vibes.current_context()
            assert ctx.as_dict() == {"session_id": "s1", "agent_id": "a1", "agent_name": "planner",
                                     "user_id": "u1", "model": "gpt-4o", "cost_center": "ops"}
        assert vibes.current_context().agent_name is None
    assert vibes.current_context().as_dict() == {}


def test_session_id_generated_when_missing():
    with vibes.session() as s:
        assert len(s.session_id) == 32 and vibes.current_context().session_id == s.session_id


def test_async_context_managers_and_tasks_isolated():
    async def worker(name):
        async with vibes.agent(name):
            await asyncio.sleep(0.01)
            return vibes.current_context().agent_name, vibes.current_context().session_id

    async def main():
        async with vibes.session("s-async"), vibes.user("u"):
            return await asyncio.gather(worker("a"), worker("b"))

    assert asyncio.run(main()) == [("a", "s-async"), ("b", "s-async")]


def test_threads_with_wrap_and_submit():
    seen = {}

    def read(key):
        seen[key] = vibes.current_context().session_id

    with vibes.session("s-thread"):
        t = threading.Thread(target=vibes.wrap(lambda: read("wrapped")))
        t.start(); t.join()
        bare = threading.Thread(target=lambda: read("bare"))
        bare.start(); bare.join()
        with ThreadPoolExecutor(2) as pool:
            futures = [vibes.submit(pool, read, f"pool{i}") for i in range(4)]
            [f.result() for f in futures]
    assert seen["wrapped"] == "s-thread"
    assert seen["bare"] is None  # plain threads do not inherit: that is why wrap exists
    assert all(seen[f"pool{i}"] == "s-thread" for i in range(4))


def test_same_wrapped_function_runs_concurrently():
    with vibes.session("s-conc"):
        fn = vibes.wrap(lambda: vibes.current_context().session_id)
    with ThreadPoolExecutor(4) as pool:
        assert set(pool.map(lambda _: fn(), range(20))) == {"s-conc"}


def test_thread_spans_parent_to_caller(sdk):
    with vibes.task("outer", agent="main"):
        with ThreadPoolExecutor(1) as pool:
            vibes.submit(pool, lambda: vibes.llm_call(model="m").__enter__().__exit__(None, None, None)).result()
    outer = sdk.span("invoke_agent main")
    inner = sdk.span("chat m")
    assert inner.parent.span_id == outer.context.span_id
    assert inner.attributes[names.GEN_AI_AGENT_NAME] == "main"


def test_inject_extract_roundtrip_in_process(sdk):
    with vibes.session("s-wire", user_id="u-wire"), vibes.agent("sender"):
        with vibes.task("send"):
            headers = vibes.inject({})
    assert headers["traceparent"].startswith("00-")
    assert "gen_ai.conversation.id=s-wire" in headers["baggage"]
    # HTTP header casing and bytes values (message queues) are both accepted
    carrier = {"Traceparent": headers["traceparent"], "BAGGAGE": headers["baggage"].encode()}
    with vibes.extract(carrier) as scope:
        assert scope.context.session_id == "s-wire"
        assert vibes.current_context().user_id == "u-wire"
        with vibes.llm_call(model="remote-model"):
            pass
    sender = sdk.span("invoke_agent sender")
    remote = sdk.span("chat remote-model")
    assert remote.context.trace_id == sender.context.trace_id
    assert remote.attributes[names.VIBES_SESSION_ID] == "s-wire"
    assert vibes.current_context().session_id is None


def test_inject_extract_across_processes(tmp_path):
    child = (
        "import json, sys, vibes_sdk as v\n"
        "carrier = json.loads(sys.stdin.read())\n"
        "with v.extract(carrier):\n"
        "    from opentelemetry import trace\n"
        "    ctx = trace.get_current_span().get_span_context()\n"
        "    print(json.dumps({'trace_id': f'{ctx.trace_id:032x}', **v.current_context().as_dict()}))\n"
    )
    with vibes.session("s-proc", user_id="u-proc"), vibes.swarm("sw-proc"):
        from opentelemetry.sdk.trace import TracerProvider
        tracer = TracerProvider().get_tracer("t")
        with tracer.start_as_current_span("parent") as span:
            carrier = vibes.inject()
            trace_id = f"{span.get_span_context().trace_id:032x}"
    out = subprocess.run([sys.executable, "-c", child], input=json.dumps(carrier), text=True,
                         capture_output=True, check=True, timeout=60)
    got = json.loads(out.stdout)
    assert got == {"trace_id": trace_id, "session_id": "s-proc", "user_id": "u-proc", "swarm_id": "sw-proc"}


def test_extract_of_garbage_is_harmless():
    for carrier in (None, {}, {"traceparent": "garbage", "baggage": "%%%"}, 42, [("a", "b")]):
        with vibes.extract(carrier):
            pass


def test_logs_carry_context_and_trace_ids(sdk):
    with vibes.session("s-log"), vibes.agent("logger-agent"):
        with vibes.task("t") as t:
            vibes.get_logger("app").info("step done", step=3, tool="search")
    (record,) = [r for r in sdk.logs() if r.body == "step done"]
    assert record.attributes["step"] == 3 and record.attributes["tool"] == "search"
    assert record.attributes[names.VIBES_SESSION_ID] == "s-log"
    assert record.attributes[names.GEN_AI_AGENT_NAME] == "logger-agent"
    task_span = sdk.span("invoke_agent logger-agent")
    assert record.trace_id == task_span.context.trace_id
    assert record.span_id == task_span.context.span_id

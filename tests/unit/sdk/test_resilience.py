"""Never break the host app: collector absent / slow / failing, disabled, fork, atexit."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import runtime
from vibes_sdk.tracing import NOOP

from .otlp_sink import OtlpSink, closed_port


def workload(n: int) -> list[float]:
    """n LLM calls; returns each call's wall time in seconds."""
    times = []
    with vibes.session("s"), vibes.agent("a"):
        for i in range(n):
            t0 = time.perf_counter()
            with vibes.task("t"):
                with vibes.llm_call(model="gpt-4o", provider="openai") as c:
                    c.record_usage(100, 10)
                vibes.get_logger("app").warning("call %d", i, n=i)
            times.append(time.perf_counter() - t0)
    return times


def dropped(sdk, signal=None, reason=None):
    return sdk.total(names.SDK_DROPPED.name, lambda a: (signal is None or a["signal"] == signal)
                     and (reason is None or a["reason"] == reason))


def otlp(sdk_factory, endpoint, **kw):
    return sdk_factory(endpoint=endpoint, traces_exporter="otlp", logs_exporter="otlp",
                       export_timeout=1, flush_interval=0.05, max_queue_size=32, **kw)


def returns(call, deadlock_after: float = 120.0) -> bool:
    """Whether ``call`` returns at all: a detector of waits that never end, not a speed bound."""
    done = threading.Event()
    threading.Thread(target=lambda: (call(), done.set()), daemon=True).start()
    return done.wait(deadlock_after)


def test_collector_absent(sdk_factory):
    sdk = otlp(sdk_factory, f"http://127.0.0.1:{closed_port()}")
    workload(300)
    assert returns(lambda: vibes.flush(3))
    assert dropped(sdk, "traces") > 0
    assert dropped(sdk, "logs") > 0
    assert returns(lambda: vibes.shutdown(2))


def test_collector_slow(sdk_factory):
    """No host call waits for the collector: the whole workload finishes while the
    collector still holds the SDK's first export requests unanswered."""
    release = threading.Event()
    with OtlpSink(hold=release) as sink:
        sdk = otlp(sdk_factory, sink.endpoint)
        deadline = time.monotonic() + 30
        workload(50)
        while not sink.held and time.monotonic() < deadline:  # an export reached the collector
            workload(10)
        workload(300)
        assert sink.held >= 1, "an export request is held by the collector while the host ran on"
        assert dropped(sdk, "traces", "queue_full") > 0  # bounded queue: oldest dropped, counted
        # The held export never answers before release, so a shutdown that waited for it would
        # never return: returning while it is still held is what honouring the timeout means.
        result: list[bool] = []
        held_still = returns(lambda: result.append(vibes.shutdown(1.0))) and not release.is_set()
        release.set()
        assert result == [False] and held_still, "shutdown(1.0) waited for an export the collector held"


def test_collector_returns_500(sdk_factory):
    with OtlpSink(status=500) as sink:
        sdk = otlp(sdk_factory, sink.endpoint)
        workload(50)
        vibes.flush(5)
        assert "/v1/traces" in sink.paths() and "/v1/logs" in sink.paths()
        assert dropped(sdk, "traces", "export_failed") >= 1
        assert dropped(sdk, "logs", "export_failed") >= 1


def test_metrics_export_failure_is_counted(sdk_factory):
    with OtlpSink(status=500) as sink:
        sdk = sdk_factory(endpoint=sink.endpoint, metrics_exporter="otlp", export_timeout=1,
                          metric_export_interval=0.2)
        workload(5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not dropped(sdk, "metrics", "export_failed"):
            time.sleep(0.1)
        assert "/v1/metrics" in sink.paths()
        assert dropped(sdk, "metrics", "export_failed") > 0


def test_healthy_collector_receives_all_signals(sdk_factory):
    with OtlpSink() as sink:
        sdk = sdk_factory(endpoint=sink.endpoint, traces_exporter="otlp", logs_exporter="otlp",
                          metrics_exporter="otlp", system_metrics=True)
        workload(10)
        assert vibes.flush(5)
        assert {"/v1/traces", "/v1/logs", "/v1/metrics"} <= set(sink.paths())
        assert dropped(sdk) == 0
        assert "process.memory.usage" in sdk.metrics()


def test_otel_sdk_disabled_env(monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    cfg = vibes.init(system_metrics=False)
    assert cfg.disabled and not vibes.enabled()
    assert vibes.llm_call(model="x") is NOOP
    with vibes.session("s"), vibes.task("t") as t, vibes.llm_call(model="x") as c, vibes.tool_call("y") as tool:
        c.record_usage(1, 2)
        tool.record_result("r")
    assert t.inference_calls == 0
    assert vibes.shutdown() is True


def disabled_call():
    with vibes.llm_call(model="gpt-4o", provider="openai") as call:
        call.record_usage(1200, 300)
        call.set_response(model="gpt-4o-2024-08-06")


def test_disabled_path_builds_nothing(monkeypatch):
    """The disabled path is cheap by construction: one shared handle, no unit is built and
    no context is read per call (its speed, ~0.3 µs, is measured in bench/bench_sdk.py)."""
    from vibes_sdk import tracing

    def must_not_run(*args, **kwargs):
        raise AssertionError("the disabled path built a unit")

    assert not vibes.enabled()
    for unit in ("LLMCall", "Task", "ToolCall", "Workflow"):
        monkeypatch.setattr(tracing, unit, must_not_run)
    monkeypatch.setattr(tracing, "_CTX", None)  # any context read would fail on None
    assert vibes.llm_call(model="gpt-4o") is NOOP and vibes.task("t") is NOOP and vibes.tool_call("x") is NOOP
    for _ in range(100):
        disabled_call()
    assert type(NOOP).record_usage is type(NOOP).set_response  # one shared no-op method


def test_no_op_before_init_for_every_public_call():
    assert not vibes.enabled()
    with vibes.swarm("sw") as sw, vibes.session() as s, vibes.agent("a"), vibes.workflow("w"):
        s.record_event("e"); s.record_message()
        sw.set_utilization(0.5)
        with sw.coordination():
            pass
        vibes.get_logger("x").info("hello", a=1)
    assert vibes.flush() is True and vibes.shutdown() is True


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork() is POSIX-only")
def test_fork_safe(sdk):
    with vibes.llm_call(model="gpt-4o") as c:
        c.record_usage(10, 1)
    pid = os.fork()
    if pid == 0:  # child: keep working, then exit without running the parent's atexit
        code = 1
        try:
            with vibes.session("child"), vibes.llm_call(model="gpt-4o") as c:
                c.record_usage(5, 1)
            vibes.flush(2)
            code = 0
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, 9)
        pytest.fail("child hung after fork")
    assert os.waitstatus_to_exitcode(status) == 0
    assert sdk.total(names.TOKENS.name) == 11  # the parent's counters are its own


def test_atexit_flushes(tmp_path):
    with OtlpSink() as sink:
        script = textwrap.dedent(f"""
            import vibes_sdk as v
            v.init(endpoint={sink.endpoint!r}, system_metrics=False, flush_interval=60,
                   metric_export_interval=60)
            with v.llm_call(model="gpt-4o") as c:
                c.record_usage(1, 1)
        """)
        subprocess.run([sys.executable, "-c", script], check=True, timeout=60, env={**os.environ})
        assert {"/v1/traces", "/v1/metrics"} <= set(sink.paths())


def test_double_init_keeps_first(sdk):
    first = runtime.STATE
    vibes.init(service_name="other", system_metrics=False)
    assert runtime.STATE is first

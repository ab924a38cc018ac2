"""The ``vibes.session.summary`` log record: one per closed session, exact totals, never mixed."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import runtime

# Round prices (USD per million tokens) so every expected cost below is hand-computed.
PRICES = {"models": {
    "priced-1": {"input": 1.0, "output": 2.0, "cache_read": 0.5, "cache_write": 1.25},
    "priced-2": {"input": 10.0, "output": 40.0},
}}


@pytest.fixture
def priced(sdk_factory, tmp_path):
    path = tmp_path / "prices.json"
    path.write_text(json.dumps(PRICES))
    return sdk_factory(price_file=str(path), service_name="summary-svc")


def summaries(h):
    return [r for r in h.logs() if (r.attributes or {}).get(names.LOG_EVENT_NAME)
            == names.VIBES_EVENT_SESSION_SUMMARY]


def by_session(h):
    out = {}
    for r in summaries(h):
        sid = r.attributes[names.VIBES_SESSION_ID]
        assert sid not in out, f"two summaries for session {sid}"
        out[sid] = dict(r.attributes)
    return out


def call(model, input_tokens, output_tokens, **extra):
    with vibes.llm_call(model=model, provider="test") as c:
        c.record_usage(input_tokens, output_tokens, **extra)


def test_exact_totals_for_priced_unpriced_and_cached_calls(priced):
    with vibes.agent("planner"), vibes.session("s-1", user_id="alice", cost_center="research"):
        call("priced-1", 1_000_000, 500_000)                      # 1.00 + 1.00
        call("priced-1", 400_000, 0, cache_read_tokens=100_000,   # 0.30 + 0.05 + 0.125
             cache_creation_tokens=100_000)                       # (uncached input = 200k -> 0.20)
        call("priced-2", 100_000, 10_000)                         # 1.00 + 0.40
        call("no-such-model", 7, 3)                               # unpriced: cost unknown, not 0
        assert summaries(priced) == []  # nothing per call: one record, at close
    (record,) = summaries(priced)
    a = record.attributes
    assert record.body == names.VIBES_EVENT_SESSION_SUMMARY
    assert a[names.VIBES_SESSION_ID] == "s-1"
    assert a[names.VIBES_USER_ID] == "alice"
    assert a[names.VIBES_COST_CENTER] == "research"
    assert a[names.GEN_AI_AGENT_NAME] == "planner"
    # 2.00 + (0.20 + 0.05 + 0.125) + 1.40
    assert a[names.VIBES_COST_USD] == pytest.approx(3.775, abs=1e-12)
    assert a[names.VIBES_SESSION_LLM_CALLS] == 4
    assert a[names.VIBES_SESSION_UNPRICED_CALLS] == 1
    assert a[names.VIBES_COST_UNPRICED] is True
    assert a[names.GEN_AI_USAGE_INPUT_TOKENS] == 1_500_007
    assert a[names.GEN_AI_USAGE_OUTPUT_TOKENS] == 510_003
    assert a[names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 100_000
    assert a[names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] == 100_000
    assert a[names.VIBES_SESSION_DURATION_SECONDS] >= 0
    assert names.ERROR_TYPE not in a
    # the same accounting as the tracker's per-session view (no second count)
    assert vibes.cost_tracker().by_session()["s-1"] == pytest.approx(a[names.VIBES_COST_USD], abs=1e-12)
    (raw,) = [r for r in priced.log_exporter.get_finished_logs()
              if (getattr(r, "log_record", r).attributes or {}).get(names.LOG_EVENT_NAME)
              == names.VIBES_EVENT_SESSION_SUMMARY]
    assert raw.resource.attributes[names.SERVICE_NAME] == "summary-svc"


def test_session_without_calls_reports_zero(priced):
    with vibes.session("idle", user_id="bob"):
        pass
    a = by_session(priced)["idle"]
    assert a[names.VIBES_COST_USD] == 0.0 and a[names.VIBES_SESSION_LLM_CALLS] == 0
    assert names.VIBES_COST_UNPRICED not in a


def test_error_exit_still_emits_with_error_type(priced):
    with pytest.raises(KeyError):
        with vibes.session("s-err", user_id="carol"):
            call("priced-2", 200_000, 0)  # 2.00
            raise KeyError("boom")
    a = by_session(priced)["s-err"]
    assert a[names.VIBES_COST_USD] == pytest.approx(2.0, abs=1e-12)
    assert a[names.VIBES_SESSION_LLM_CALLS] == 1
    assert a[names.ERROR_TYPE] == "KeyError"


def test_nested_sessions_do_not_mix(priced):
    with vibes.session("outer", user_id="u-out"):
        call("priced-2", 100_000, 0)  # 1.00 -> outer
        with vibes.session("inner", user_id="u-in"):
            call("priced-2", 0, 100_000)  # 4.00 -> inner only
        call("priced-1", 1_000_000, 0)  # 1.00 -> outer
    got = by_session(priced)
    assert set(got) == {"outer", "inner"}
    assert got["outer"][names.VIBES_COST_USD] == pytest.approx(2.0, abs=1e-12)
    assert got["outer"][names.VIBES_SESSION_LLM_CALLS] == 2
    assert got["outer"][names.VIBES_USER_ID] == "u-out"
    assert got["inner"][names.VIBES_COST_USD] == pytest.approx(4.0, abs=1e-12)
    assert got["inner"][names.VIBES_SESSION_LLM_CALLS] == 1
    assert got["inner"][names.VIBES_USER_ID] == "u-in"


def test_reentering_an_open_session_id_emits_once(priced):
    with vibes.session("same", user_id="u"):
        call("priced-2", 100_000, 0)
        with vibes.session("same", user_id="u"):
            call("priced-2", 100_000, 0)
        assert summaries(priced) == []
    (record,) = summaries(priced)
    assert record.attributes[names.VIBES_COST_USD] == pytest.approx(2.0, abs=1e-12)
    assert record.attributes[names.VIBES_SESSION_LLM_CALLS] == 2


def test_concurrent_sessions_in_threads_and_tasks_do_not_mix(priced):
    barrier = threading.Barrier(4)  # every round of calls overlaps across the 4 threads

    def worker(i):
        with vibes.session(f"t-{i}", user_id=f"user-{i % 2}"):
            for _ in range(3):
                barrier.wait(timeout=10)
                call("priced-2", 100_000 * (i + 1), 0)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    async def task(i):
        async with vibes.session(f"a-{i}", user_id="async-user"):
            for _ in range(3):
                await asyncio.sleep(0)  # yield: the other tasks' calls run in between
                call("priced-1", 1_000_000 * (i + 1), 0)

    async def main():
        await asyncio.gather(*(task(i) for i in range(3)))

    asyncio.run(main())
    got = by_session(priced)
    for i in range(4):
        # 3 calls of (i + 1) * 100k input tokens at 10 USD/M
        assert got[f"t-{i}"][names.VIBES_COST_USD] == pytest.approx(3 * (i + 1) * 1.0, abs=1e-9)
        assert got[f"t-{i}"][names.VIBES_SESSION_LLM_CALLS] == 3
    for i in range(3):
        assert got[f"a-{i}"][names.VIBES_COST_USD] == pytest.approx(3 * (i + 1) * 1.0, abs=1e-9)
        assert got[f"a-{i}"][names.GEN_AI_USAGE_INPUT_TOKENS] == 3 * 1_000_000 * (i + 1)


def test_propagated_session_id_without_a_local_scope_is_not_kept(priced):
    carrier = {}
    with vibes.session("remote", user_id="u"):
        vibes.inject(carrier)
    with vibes.extract(carrier):  # a worker continuing someone else's session
        call("priced-2", 100_000, 0)
    assert runtime.COST_TRACKER._open_sessions == {}
    assert [r.attributes[names.VIBES_SESSION_ID] for r in summaries(priced)] == ["remote"]


def test_a_failing_log_pipeline_never_reaches_the_caller(priced, monkeypatch):
    def broken(*a, **k):
        raise RuntimeError("log pipeline down")

    monkeypatch.setattr(runtime.STATE.logger_provider, "get_logger", broken)
    with vibes.session("s-broken") as s:
        call("priced-2", 100_000, 0)
    assert s.session_id == "s-broken"
    # the session metrics still closed the session
    assert priced.total(names.SESSION_ACTIVE.name) == 0
    assert priced.hist_count(names.SESSION_DURATION.name) == 1
    assert runtime.COST_TRACKER._open_sessions == {}


def test_no_sdk_no_record_no_error():
    vibes.shutdown(5)
    with vibes.session("offline", user_id="u"):
        pass
    assert runtime.COST_TRACKER._open_sessions == {}

"""Session summaries through the real collector into VictoriaLogs: one record per
closed session with its exact cost, and per-user sums (the log path behind the dashboards'
"Cost by session" / "Cost by user" tables)."""

from __future__ import annotations

import json
import time
import uuid
from collections import defaultdict
from importlib import resources

import pytest
from conftest import poll, live_sdk_settings

import vibes_sdk as vibes
from vibes_observe.clients.logs_model import LogFilter
from vibes_observe.clients.victorialogs import VictoriaLogsClient
from vibes_sdk import names

PRICES = json.loads(resources.files("vibes_sdk").joinpath("data/prices.json").read_text())["models"]


def per_m(tokens, price):
    return tokens * price / 1_000_000


GPT, MINI = PRICES["gpt-4o"], PRICES["gpt-4o-mini"]
# session -> (user, calls (model, input, output, cache_read), expected USD written out from the price file)
SESSIONS = {
    "alice-1": ("alice", [("gpt-4o", 10_000, 2_000, 0), ("gpt-4o-mini", 50_000, 5_000, 0)],
                per_m(10_000, GPT["input"]) + per_m(2_000, GPT["output"])
                + per_m(50_000, MINI["input"]) + per_m(5_000, MINI["output"])),
    "alice-2": ("alice", [("gpt-4o", 4_000, 1_000, 3_000)],
                per_m(1_000, GPT["input"]) + per_m(3_000, GPT["cache_read"]) + per_m(1_000, GPT["output"])),
    "bob-1": ("bob", [("gpt-4o-mini", 20_000, 4_000, 0), ("in-house-model-1", 700, 70, 0)],
              per_m(20_000, MINI["input"]) + per_m(4_000, MINI["output"])),  # the in-house call is unpriced
}


@pytest.fixture
def live_sdk(stack):
    service = f"summary-live-{uuid.uuid4().hex[:8]}"
    vibes.init(service_name=service, **live_sdk_settings(stack))
    yield service
    vibes.shutdown(10)


def test_session_summaries_land_in_victorialogs_with_exact_costs(stack, live_sdk):
    service = live_sdk
    run = uuid.uuid4().hex[:6]
    for sid, (user, calls, _) in SESSIONS.items():
        with vibes.session(f"{sid}-{run}", user_id=f"{user}-{run}", cost_center="live-cc"):
            for model, i, o, cr in calls:
                with vibes.llm_call(model=model, provider="openai") as call:
                    call.record_usage(i, o, cache_read_tokens=cr)
    assert vibes.flush(10)

    store = VictoriaLogsClient(stack.victorialogs_url)

    def summaries():
        found = [e for e in store.query(LogFilter(service=service), start_ns=time.time_ns() - 3600 * 10**9,
                                        end_ns=time.time_ns())
                 if e.attributes.get(names.LOG_EVENT_NAME) == names.VIBES_EVENT_SESSION_SUMMARY]
        return found if len(found) >= len(SESSIONS) else None

    found = poll(summaries, timeout=60, what=f"{len(SESSIONS)} session summaries in {store.describe()}")
    by_session = {e.session_id: e.attributes for e in found}
    assert len(found) == len(SESSIONS) == len(by_session), "exactly one summary per session"

    per_user: dict[str, float] = defaultdict(float)
    for sid, (user, calls, usd) in SESSIONS.items():
        a = by_session[f"{sid}-{run}"]
        assert a[names.VIBES_USER_ID] == f"{user}-{run}"
        assert a[names.VIBES_COST_CENTER] == "live-cc"
        # VictoriaLogs keeps every field value as text
        assert float(a[names.VIBES_COST_USD]) == pytest.approx(usd, rel=1e-9), sid
        assert int(a[names.VIBES_SESSION_LLM_CALLS]) == len(calls)
        assert int(a[names.GEN_AI_USAGE_INPUT_TOKENS]) == sum(c[1] for c in calls)
        assert int(a[names.GEN_AI_USAGE_OUTPUT_TOKENS]) == sum(c[2] for c in calls)
        assert int(a[names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]) == sum(c[3] for c in calls)
        per_user[a[names.VIBES_USER_ID]] += float(a[names.VIBES_COST_USD])
    assert int(by_session[f"bob-1-{run}"][names.VIBES_SESSION_UNPRICED_CALLS]) == 1
    assert by_session[f"bob-1-{run}"][names.VIBES_COST_UNPRICED] == "true"

    # per user: the sum the "Cost by user" table computes, against the price file
    want_alice = SESSIONS["alice-1"][2] + SESSIONS["alice-2"][2]
    assert per_user[f"alice-{run}"] == pytest.approx(want_alice, rel=1e-9)
    assert per_user[f"bob-{run}"] == pytest.approx(SESSIONS["bob-1"][2], rel=1e-9)
    assert want_alice > 0 and SESSIONS["bob-1"][2] > 0


def test_cli_fills_sessions_without_traces_from_their_summaries(stack, live_sdk):
    """`vibes observe cost --by session|user`: traces first; a sampled-out session comes from its summary."""
    from vibes_observe.clients.jaeger import JaegerClient
    from vibes_observe.commands.trace_cost import trace_costs

    service, run = live_sdk, uuid.uuid4().hex[:6]
    traced, hidden = f"traced-{run}", f"sampled-out-{run}"
    with vibes.session(traced, user_id=f"dave-{run}"):
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(8_000, 1_000)
    traced_usd = per_m(8_000, GPT["input"]) + per_m(1_000, GPT["output"])
    assert vibes.flush(10)
    vibes.shutdown(10)
    # same service, every trace dropped by the sampler: only metrics and logs leave the process
    vibes.init(service_name=service, **live_sdk_settings(stack), sampler="always_off")
    with vibes.session(hidden, user_id=f"dave-{run}"):
        with vibes.llm_call(model="gpt-4o-mini", provider="openai") as call:
            call.record_usage(30_000, 3_000)
    hidden_usd = per_m(30_000, MINI["input"]) + per_m(3_000, MINI["output"])
    assert vibes.flush(10)

    jaeger, logs = JaegerClient(stack.jaeger_url), VictoriaLogsClient(stack.victorialogs_url)

    def by_session():
        out = trace_costs(jaeger, "session", session=None, user=None, since="1h", limit=100,
                          service=service, logs=logs)
        return out if traced in out["groups"] and hidden in out["groups"] else None

    out = poll(by_session, timeout=60, what="the traced session in Jaeger and the hidden one in VictoriaLogs")
    assert out["from_logs"]["sessions"] == [hidden], "only the session without traces comes from logs"
    assert out["groups"][traced]["cost_usd"] == pytest.approx(traced_usd, rel=1e-9)
    assert out["groups"][hidden]["cost_usd"] == pytest.approx(hidden_usd, rel=1e-9)
    assert out["groups"][hidden]["calls"] == 1 and out["groups"][hidden]["input_tokens"] == 30_000

    per_user = trace_costs(jaeger, "user", session=None, user=None, since="1h", limit=100,
                           service=service, logs=logs)
    assert per_user["groups"][f"dave-{run}"]["cost_usd"] == pytest.approx(traced_usd + hidden_usd, rel=1e-9)
    assert per_user["groups"][f"dave-{run}"]["calls"] == 2

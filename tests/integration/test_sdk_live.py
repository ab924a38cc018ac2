"""vibes_sdk through the real collector: spans in Jaeger with context, exact token and cost
totals in Prometheus (query names from vibes_sdk.names)."""

from __future__ import annotations

import json
import urllib.parse
import uuid
from importlib import resources

import pytest
from conftest import http_json, poll, live_sdk_settings

import vibes_sdk as vibes
from vibes_sdk import names

PRICES = json.loads(resources.files("vibes_sdk").joinpath("data/prices.json").read_text())["models"]


def per_m(tokens, price):
    return tokens * price / 1_000_000


# (model, provider, input, output, cache_read, cache_creation, reasoning)
WORKLOAD = [
    ("gpt-4o", "openai", 1000, 200, 0, 0, 0),
    ("gpt-4o", "openai", 3000, 500, 2000, 0, 0),
    ("claude-sonnet-4-20250514", "anthropic", 5000, 800, 3000, 1000, 300),
    ("in-house-model-1", "local", 700, 70, 0, 0, 0),
]


def expected_cost() -> float:
    """Written out from the price file, independently of vibes_sdk.cost."""
    o, a = PRICES["gpt-4o"], PRICES["claude-sonnet-4"]
    return (per_m(1000, o["input"]) + per_m(200, o["output"])
            + per_m(1000, o["input"]) + per_m(2000, o["cache_read"]) + per_m(500, o["output"])
            + per_m(1000, a["input"]) + per_m(3000, a["cache_read"]) + per_m(1000, a["cache_write"])
            + per_m(500, a["output"]) + per_m(300, a["output"]))


@pytest.fixture
def live_sdk(stack):
    service = f"sdk-live-{uuid.uuid4().hex[:8]}"
    vibes.init(service_name=service, **live_sdk_settings(stack))
    yield service
    vibes.shutdown(10)


def test_known_workload_reaches_jaeger_and_prometheus(stack, live_sdk, prom_query):
    service = live_sdk
    session_id = f"live-session-{uuid.uuid4().hex[:8]}"
    with vibes.session(session_id, user_id="live-user", cost_center="live-cc"), vibes.agent("live-agent"):
        with vibes.task("answer"):
            for model, provider, i, o, cr, cc, rs in WORKLOAD:
                with vibes.llm_call(model=model, provider=provider) as call:
                    call.record_usage(i, o, cache_read_tokens=cr, cache_creation_tokens=cc, reasoning_tokens=rs)
            with vibes.tool_call("search"):
                pass
        vibes.get_logger("live").info("workload done", calls=len(WORKLOAD))
    assert vibes.flush(20), "the SDK did not flush to the live collector"

    # --- Jaeger: the spans, with the context on them
    def traces():
        q = urllib.parse.urlencode({"service": service, "limit": 50, "lookback": "1h"})
        return http_json(f"{stack.jaeger_url}/api/traces?{q}").get("data") or []

    def complete():
        spans = [s for t in traces() for s in t["spans"]]
        return spans if len(spans) >= len(WORKLOAD) + 2 else None

    spans = poll(complete, timeout=90, what=f"{len(WORKLOAD) + 2} spans of {service} in Jaeger")
    by_name = {}
    for s in spans:
        by_name.setdefault(s["operationName"], []).append({t["key"]: t["value"] for t in s["tags"]})
    assert len(by_name["chat gpt-4o"]) == 2
    assert "invoke_agent live-agent" in by_name and "execute_tool search" in by_name
    claude = by_name["chat claude-sonnet-4-20250514"][0]
    assert claude[names.VIBES_SESSION_ID] == session_id
    assert claude[names.VIBES_USER_ID] == "live-user"
    assert claude[names.GEN_AI_AGENT_NAME] == "live-agent"
    assert claude[names.VIBES_COST_CENTER] == "live-cc"
    assert claude[names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] == 3000
    unpriced = by_name["chat in-house-model-1"][0]
    assert unpriced[names.VIBES_COST_UNPRICED] is True
    assert sum(t.get(names.VIBES_COST_USD, 0) for ts in by_name.values() for t in ts) == pytest.approx(expected_cost())

    # --- Prometheus: exact totals
    job = f'{names.PROM_SERVICE_LABEL}="{service}"'
    token_type = names.prom_label(names.GEN_AI_TOKEN_TYPE)

    def value(expr):
        result = prom_query(expr)
        return float(result[0]["value"][1]) if result else None

    def tokens(kind):
        return value(f'sum({names.TOKENS.prom}{{{job},{token_type}="{kind}"}})')

    expected_tokens = {
        "input": sum(w[2] for w in WORKLOAD), "output": sum(w[3] for w in WORKLOAD),
        "cache_read": sum(w[4] for w in WORKLOAD), "cache_creation": sum(w[5] for w in WORKLOAD),
        "reasoning": sum(w[6] for w in WORKLOAD),
    }
    poll(lambda: tokens("input") == expected_tokens["input"], timeout=90,
         what=f"{names.TOKENS.prom} input total {expected_tokens['input']} for {service}")
    assert {k: tokens(k) for k in expected_tokens} == expected_tokens
    cost = value(f"sum({names.COST.prom}{{{job}}})")
    assert cost == pytest.approx(expected_cost(), rel=1e-9)
    assert value(f"sum({names.UNPRICED_REQUESTS.prom}{{{job}}})") == 1
    cc_label = names.prom_label(names.VIBES_COST_CENTER)
    assert value(f'sum({names.COST.prom}{{{job},{cc_label}="live-cc"}})') == pytest.approx(expected_cost(), rel=1e-9)
    assert value(f"sum({names.OPERATION_DURATION.prom_count}{{{job}}})") == len(WORKLOAD)
    assert value(f"sum({names.TASK_INFERENCE_CALLS.prom_sum}{{{job}}})") == len(WORKLOAD)
    # no session/user id ever becomes a label
    series = prom_query(f"{names.TOKENS.prom}{{{job}}}")
    for s in series:
        assert session_id not in s["metric"].values() and "live-user" not in s["metric"].values()


def test_demo_workload_is_delivered(stack):
    import subprocess
    import sys
    service = f"sdk-demo-{uuid.uuid4().hex[:8]}"
    run = subprocess.run([sys.executable, "-m", "vibes_sdk.demo", "--sessions", "2", "--seed", "7",
                          "--endpoint", stack.otlp_http_endpoint, "--service-name", service],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "unpriced calls: 2" in run.stdout  # one per session, never priced at $0

    def services():
        return service in (http_json(f"{stack.jaeger_url}/api/services").get("data") or [])

    poll(services, timeout=90, what=f"demo service {service} in Jaeger")

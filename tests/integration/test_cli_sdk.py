"""The CLI agrees with vibes_sdk's own cost tracker after the SDK demo workload
(`python -m vibes_sdk.demo`) went through the real collector."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cli"))
import workload as wl  # noqa: E402

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def demo(stack):
    service = f"cli-sdk-{uuid.uuid4().hex[:6]}"
    proc = subprocess.run([sys.executable, "-m", "vibes_sdk.demo", "--sessions", "2", "--seed", "11",
                           "--endpoint", stack.otlp_http_endpoint, "--service-name", service],
                          capture_output=True, text=True, timeout=120, env=wl.cli_env(stack))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    m = re.search(r"cost \(priced calls\): \$([0-9.]+); unpriced calls: (\d+)", proc.stdout)
    assert m, proc.stdout
    return {"service": service, "cost": float(m.group(1)), "unpriced": int(m.group(2)),
            "by_model": {k: float(v) for k, v in re.findall(r"^\s+(\S+)\s+\$([0-9.]+)$", proc.stdout, re.M)}}


def _poll_json(stack, *args, ok, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        out = json.loads(wl.run_cli(stack, *args, "--json").stdout)
        if ok(out) or time.monotonic() > deadline:
            return out
        time.sleep(1)


def test_prometheus_cost_equals_the_sdk_tracker(stack, demo):
    out = _poll_json(stack, "cost", "--service", demo["service"], "--period", "today", "--by", "model",
                     ok=lambda o: o["prometheus"]["periods"]["today"]["unpriced_requests"] >= demo["unpriced"])
    today = out["prometheus"]["periods"]["today"]
    assert today["cost_usd"] == pytest.approx(demo["cost"], abs=1e-6)
    assert today["unpriced_requests"] == demo["unpriced"] > 0
    assert len(demo["by_model"]) >= 3, demo
    for model, usd in demo["by_model"].items():
        assert today["by_model"][model]["cost_usd"] == pytest.approx(usd, abs=1e-6), model


def test_trace_cost_by_session_adds_up_to_the_same(stack, demo):
    out = _poll_json(stack, "cost", "--service", demo["service"], "--by", "session",
                     ok=lambda o: sum(g["unpriced_calls"] for g in o["traces"]["groups"].values()) >= demo["unpriced"])
    groups = out["traces"]["groups"]
    assert len(groups) == 2 and all(k.startswith("demo-session-") for k in groups)
    assert sum(g["cost_usd"] for g in groups.values()) == pytest.approx(demo["cost"], abs=1e-6)
    assert sum(g["unpriced_calls"] for g in groups.values()) == demo["unpriced"]
    assert all(g["unpriced_models"] == ["acme-internal-llm"] for g in groups.values())

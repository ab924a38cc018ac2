"""`python -m vibes_sdk.demo --json`: what scripts (the fleet tests) compare every surface against."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from vibes_sdk import names

from .otlp_sink import OtlpSink


def test_json_summary_is_what_reached_the_collector():
    with OtlpSink() as sink:
        done = subprocess.run([sys.executable, "-m", "vibes_sdk.demo", "--json", "--sessions", "2", "--seed", "3",
                               "--service-name", "demo-json", "--endpoint", sink.endpoint],
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)  # one object, nothing else on stdout
        spans = sink.spans()
        latest: dict[tuple, float] = {}  # cumulative points: each series' newest (largest) value
        for _, metric, attrs, value in sink.metric_points():
            if metric == names.COST.name:
                key = tuple(sorted(attrs.items()))
                latest[key] = max(latest.get(key, 0.0), value)
    assert summary["service"] == "demo-json" and summary["sessions"] == 2
    assert summary["cost_usd"] > 0 and summary["unpriced_calls"] > 0
    assert summary["cost_usd"] == pytest.approx(sum(summary["by_model"].values()))
    priced = [span["attributes"][names.VIBES_COST_USD] for _, span in spans
              if names.VIBES_COST_USD in span["attributes"]]
    assert sum(priced) == pytest.approx(summary["cost_usd"])
    assert sum(latest.values()) == pytest.approx(summary["cost_usd"])

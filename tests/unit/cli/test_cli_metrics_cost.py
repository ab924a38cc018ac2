"""metrics/cost summaries computed from Prometheus answers recorded after the known workload."""

import pytest

from vibes_observe.commands.cost import period_window_s, prometheus_costs
from vibes_observe.commands.metrics import cost_text, summary
from vibes_sdk import names as n


def test_summary_totals_match_the_workload(replay_prometheus, recorded_workload):
    w = recorded_workload
    total = summary(replay_prometheus, 3600, {"agent": w.agent})
    assert total["requests"] == len(w.calls)
    assert total["errors"] == w.errors
    assert total["error_rate"] == pytest.approx(w.errors / len(w.calls))
    assert total["tokens"][n.TOKEN_INPUT] == w.tokens("input")
    assert total["tokens"][n.TOKEN_OUTPUT] == w.tokens("output")
    assert total["tokens"][n.TOKEN_CACHE_READ] == w.tokens("cache_read")
    assert total["cost_usd"] == pytest.approx(w.cost())
    assert total["unpriced_requests"] == w.unpriced_calls
    assert 0 < total["latency_p50_s"] <= total["latency_p95_s"] <= total["latency_p99_s"]


def test_summary_by_model_never_prices_unpriced_usage_at_zero(replay_prometheus, recorded_workload):
    w = recorded_workload
    rows = summary(replay_prometheus, 3600, {"agent": w.agent}, "model")
    assert rows["gpt-4o"]["cost_usd"] == pytest.approx(w.cost("gpt-4o"))
    assert rows["claude-sonnet-4"]["tokens"][n.TOKEN_OUTPUT] == w.tokens("output", "claude-sonnet-4")
    assert rows["mystery-model-x"]["cost_usd"] is None  # unknown, not $0
    assert rows["mystery-model-x"]["unpriced_requests"] == 1
    assert "unpriced" in cost_text(None, 1)


def test_prometheus_costs_per_period_and_dimension(replay_prometheus, recorded_workload, monkeypatch):
    w = recorded_workload
    # the recorded queries used the windows of the recording day; replay with those windows
    import vibes_observe.commands.cost as cost_mod
    recorded = {}
    for expr in replay_prometheus.answers:
        if n.COST.prom in expr and "[" in expr:
            recorded.setdefault(int(expr.split("[")[1].split("s]")[0]), expr)
    windows = sorted(w for w in recorded if w != 3600)  # 3600: the metrics summary's window
    assert len(windows) == 2, windows
    monkeypatch.setattr(cost_mod, "period_window_s",
                        lambda period, now=None: windows[0] if period == "today" else windows[1])
    out = prometheus_costs(replay_prometheus, ("today", "all"), ("model", "agent"), {"agent": w.agent})
    for period in ("today", "all"):
        e = out["periods"][period]
        assert e["cost_usd"] == pytest.approx(w.cost())
        assert e["unpriced_requests"] == w.unpriced_calls
        assert e["by_model"]["gpt-4o"]["cost_usd"] == pytest.approx(w.cost("gpt-4o"))
        assert e["by_model"]["mystery-model-x"] == {"cost_usd": 0.0, "unpriced_requests": 1.0}
        assert e["by_agent"][w.agent]["cost_usd"] == pytest.approx(w.cost())
    assert "Prometheus" in out["source"] and n.COST.prom in out["source"]


def test_period_windows():
    from datetime import datetime
    now = datetime(2026, 11, 25, 15, 30).astimezone()  # a Wednesday
    assert period_window_s("today", now) == 15 * 3600 + 30 * 60
    assert period_window_s("week", now) == 2 * 86400 + 15 * 3600 + 30 * 60
    assert period_window_s("month", now) == 24 * 86400 + 15 * 3600 + 30 * 60
    assert period_window_s("all", now) > 365 * 86400

"""Price table, normalisation and the counting rules (no double count, tiers, unpriced)."""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources
from urllib.parse import urlparse

import pytest

from vibes_sdk.cost import CostTracker, PriceFileError, PriceTable, Usage, cost_usd, normalize_model

TABLE = PriceTable.load()
SHIPPED = json.loads(resources.files("vibes_sdk").joinpath("data/prices.json").read_text())["models"]


def per_m(tokens, price):
    return tokens * price / 1_000_000


def test_every_entry_is_dated_and_sourced():
    for model, entry in SHIPPED.items():
        dt.date.fromisoformat(entry["as_of"])
        assert urlparse(entry["source"]).scheme == "https", model
        assert entry["input"] >= 0 and entry["output"] >= 0, model


def test_providers_covered():
    providers = {e["provider"] for e in SHIPPED.values()}
    assert {"openai", "anthropic", "google", "mistral", "deepseek", "xai", "meta"} <= providers
    assert any(name.startswith("text-embedding") for name in SHIPPED)


@pytest.mark.parametrize("raw, normal", [
    ("gpt-4o-2024-08-06", "gpt-4o"),
    ("openai/gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
    ("anthropic.claude-3-5-haiku-20241022-v1:0", "claude-3-5-haiku"),
    ("us.anthropic.claude-sonnet-4-20250514-v1:0", "claude-sonnet-4"),
    ("claude-sonnet-4-5@20250929", "claude-sonnet-4-5"),
    ("models/gemini-2.5-pro", "gemini-2.5-pro"),
    ("meta-llama/Llama-4-Scout-17B-16E-Instruct", "llama-4-scout-17b-16e-instruct"),
    ("o3-mini-2025-01-31", "o3-mini"),
    ("GPT-4O", "gpt-4o"),
])
def test_normalisation(raw, normal):
    assert normalize_model(raw) == normal
    assert TABLE.lookup(raw) is not None, raw


def test_input_includes_cache_and_output_includes_reasoning():
    e = SHIPPED["claude-sonnet-4"]
    usage = Usage(input_tokens=10_000, output_tokens=2_000, cache_read_tokens=6_000,
                  cache_creation_tokens=1_000, reasoning_tokens=500)
    expected = (per_m(3_000, e["input"]) + per_m(6_000, e["cache_read"]) + per_m(1_000, e["cache_write"])
                + per_m(1_500, e["output"]) + per_m(500, e["output"]))
    assert TABLE.cost("claude-sonnet-4-20250514", usage) == pytest.approx(expected, rel=1e-12)
    # the naive (double-counting) sum is larger: cached tokens must not be billed twice
    naive = per_m(10_000, e["input"]) + per_m(6_000, e["cache_read"]) + per_m(2_000, e["output"]) + per_m(500, e["output"])
    assert TABLE.cost("claude-sonnet-4", usage) < naive


def test_reasoning_price_used_where_different(tmp_path):
    override = tmp_path / "prices.json"
    override.write_text(json.dumps({"models": {"thinker-1": {"input": 1.0, "output": 2.0, "reasoning": 8.0}}}))
    table = PriceTable.load(str(override))
    usage = Usage(input_tokens=1_000_000, output_tokens=1_000_000, reasoning_tokens=250_000)
    assert table.cost("thinker-1", usage) == pytest.approx(1.0 + 0.75 * 2.0 + 0.25 * 8.0)


def test_long_context_tier_applies_to_the_whole_request():
    e = SHIPPED["gemini-2.5-pro"]
    tier = e["tiers"][0]
    small = Usage(input_tokens=tier["above_input_tokens"], output_tokens=1000)
    big = Usage(input_tokens=tier["above_input_tokens"] + 1, output_tokens=1000)
    assert TABLE.cost("gemini-2.5-pro", small) == pytest.approx(
        per_m(small.input_tokens, e["input"]) + per_m(1000, e["output"]))
    assert TABLE.cost("gemini-2.5-pro", big) == pytest.approx(
        per_m(big.input_tokens, tier["input"]) + per_m(1000, tier["output"]))


def test_missing_cache_prices_fall_back_to_input():
    table = PriceTable({"plain": {"input": 4.0, "output": 8.0}})
    assert table.cost("plain", Usage(1_000_000, 0, 400_000, 100_000)) == pytest.approx(4.0)


def test_unknown_model_has_no_price_not_zero():
    assert TABLE.lookup("my-private-finetune") is None
    assert TABLE.cost("my-private-finetune", Usage(1000, 1000)) is None


def test_override_merges_over_shipped(tmp_path):
    override = tmp_path / "p.json"
    override.write_text(json.dumps({"models": {"gpt-4o": {"input": 1.0, "output": 1.0}}}))
    table = PriceTable.load(str(override))
    assert table.cost("gpt-4o-2024-08-06", Usage(1_000_000, 0)) == pytest.approx(1.0)
    assert table.lookup("claude-3-5-haiku") is not None  # the rest of the shipped table stays


@pytest.mark.parametrize("content, match", [
    ('{"models": {"m": {"input": -1, "output": 1}}}', r"m.price.input=-1"),
    ('{"models": {"m": {"output": 1}}}', r"m.price.input: missing"),
    ('{"models": {"m": {"input": 1, "tiers": [{"input": 2}]}}}', r"m.tiers\[0\].above_input_tokens"),
    ('{"models": []}', "expected"),
    ("not json", "not valid JSON"),
])
def test_bad_price_file_names_model_and_key(tmp_path, content, match):
    path = tmp_path / "p.json"
    path.write_text(content)
    with pytest.raises(PriceFileError, match=match):
        PriceTable.load(str(path))


def test_cost_clamps_inconsistent_usage():
    e = SHIPPED["gpt-4o"]
    # cache_read larger than input: never negative uncached tokens
    assert cost_usd(TABLE.lookup("gpt-4o"), Usage(100, 0, 500, 0, 0)) == pytest.approx(per_m(100, e["cache_read"]))


def test_cost_tracker_periods_and_breakdowns():
    tracker = CostTracker()
    today = dt.date.today()
    tracker.record(1.0, model="a", session_id="s1", agent_name="x")
    tracker.record(2.0, model="b", session_id="s1", agent_name="y")
    tracker.record(4.0, model="a", session_id="s2", agent_name="x", when=today - dt.timedelta(days=40))
    tracker.record(None, model="c")
    assert tracker.today() == 3.0
    assert tracker.all_time() == 7.0
    assert tracker.by_model() == {"a": 5.0, "b": 2.0}
    assert tracker.by_session() == {"s1": 3.0, "s2": 4.0}
    assert tracker.by_agent() == {"x": 5.0, "y": 2.0}
    assert tracker.unpriced_calls == 1
    assert 3.0 <= tracker.this_week() <= 3.0 and tracker.this_month() == 3.0

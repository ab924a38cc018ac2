"""Span model, usage totals and the span-tree rendering on a recorded Jaeger trace."""

import pytest
from rich.console import Console

from vibes_observe.clients.jaeger import parse_trace
from vibes_observe.commands._spans import Usage
from vibes_observe.commands._traces import render_tree, trace_summary
from recorded import load


def _text(renderable) -> str:
    console = Console(width=250, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_tree_structure(recorded_trace, recorded_workload):
    t = recorded_trace
    assert len(t.roots) == 1
    root = t.root
    assert root.name == f"invoke_agent {recorded_workload.agent}"
    # every LLM call and the tool call hang under the agent span, in start order
    assert [c.name for c in root.children] == [f"chat {c.model}" for c in recorded_workload.calls] + [
        "execute_tool web_search"]
    assert t.error_count == 2  # the rate-limited call and the timed-out tool


def test_usage_sums_inference_spans_only(recorded_trace, recorded_workload):
    w = recorded_workload
    u = Usage().add_trace(recorded_trace)
    assert u.calls == len(w.calls)
    assert u.input_tokens == w.tokens("input")
    assert u.output_tokens == w.tokens("output")
    assert u.cache_read_tokens == w.tokens("cache_read")
    assert u.reasoning_tokens == w.tokens("reasoning")
    assert u.cost_usd == pytest.approx(w.cost())
    assert u.unpriced_calls == w.unpriced_calls
    assert u.unpriced_models == {"mystery-model-x"}


def test_summary_row(recorded_trace, recorded_workload):
    row = trace_summary(recorded_trace)
    assert row["session"] == recorded_workload.session_id
    assert row["agent"] == recorded_workload.agent
    assert row["spans"] == 6 and row["errors"] == 2 and row["failed_calls"] == 1
    assert row["cost_usd"] == pytest.approx(recorded_workload.cost())


def test_rendered_tree_shows_model_tokens_cost_errors(recorded_trace, recorded_workload):
    text = _text(render_tree(recorded_trace))
    assert recorded_trace.trace_id in text
    assert "chat gpt-4o" in text and "model=gpt-4o" in text
    assert "tokens=1,200 in/300 out" in text and "cost=$0.0125" in text
    assert "tokens=800 in/150 out" in text and "cost=$0.0047" in text
    assert "cost=unpriced" in text  # mystery-model-x: never "$0"
    assert "ERROR RateLimitError" in text
    assert "ERROR TimeoutError: search timed out" in text
    assert "+1 unpriced" in text.splitlines()[0]
    # durations are printed for every span
    assert text.count("ms") >= 6


def test_search_answer_parses_to_the_same_trace():
    search = load("jaeger_search.json")
    assert [parse_trace(t).trace_id for t in search["data"]] == [load("meta.json")["trace_id"]]

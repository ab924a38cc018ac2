"""The command forms of the product design against the live stack after a known workload:
`vibes observe` alone, `traces SESSION`, `export logs|metrics|traces FILE` (each --json or
file content checked against the workload)."""

from __future__ import annotations

import csv
import json

import pytest

import workload as wl  # on sys.path via conftest

from vibes_sdk import names as n  # noqa: E402

pytestmark = pytest.mark.integration


def test_observe_alone_lists_the_stack(stack, sent):
    out = wl.run_cli(stack).stdout
    for url in (stack.prometheus_url, stack.jaeger_url, stack.alertmanager_url):
        assert next(l for l in out.splitlines() if url in l).startswith("up")
    rows = json.loads(wl.run_cli(stack, "status", "--json").stdout)
    assert {r["backend"]: r["reachable"] for r in rows if r["required"]} == {
        "prometheus": True, "jaeger": True, "alertmanager": True, "victorialogs": True}


def test_traces_session_positional(stack, sent):
    rows = json.loads(wl.run_cli(stack, "traces", sent.session_id, "--json").stdout)
    assert [r["trace_id"] for r in rows] == sent.trace_ids
    assert rows[0]["cost_usd"] == pytest.approx(sent.cost()) and rows[0]["session"] == sent.session_id
    assert json.loads(wl.run_cli(stack, "traces", "--since", "1h", sent.session_id, "--json").stdout) == rows
    shown = json.loads(wl.run_cli(stack, "traces", "show", sent.trace_ids[0], "--json").stdout)
    assert shown["trace_id"] == sent.trace_ids[0]


def test_export_logs_file(stack, sent, tmp_path):
    out = tmp_path / "logs.jsonl"
    proc = wl.run_cli(stack, "export", "logs", str(out), "--since", "15m")
    mine = [r for r in map(json.loads, out.read_text().splitlines()) if r["session"] == sent.session_id]
    assert len(mine) == len(sent.calls) + 3
    assert {r["trace_id"] for r in mine} == set(sent.trace_ids)
    assert f"logs rows → {out}" in proc.stdout


def test_export_metrics_file_csv(stack, sent, tmp_path):
    out = tmp_path / "metrics.csv"
    wl.run_cli(stack, "export", "metrics", str(out), "--since", "15m", "--step", "15s")
    with out.open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["metric"] == n.COST.prom]
    agent, model = n.prom_label(n.GEN_AI_AGENT_NAME), n.prom_label(n.GEN_AI_REQUEST_MODEL)
    for m in ("gpt-4o", "claude-sonnet-4"):
        values = [float(r["value"]) for r in rows
                  if json.loads(r["labels"]).get(agent) == sent.agent and json.loads(r["labels"])[model] == m]
        assert max(values) == pytest.approx(sent.cost(m))
    assert not list(tmp_path.glob("*.tmp"))


def test_export_traces_file(stack, sent, tmp_path):
    out = tmp_path / "spans.jsonl"
    wl.run_cli(stack, "export", "traces", str(out), "--since", "15m")
    mine = [s for s in map(json.loads, out.read_text().splitlines()) if s["session"] == sent.session_id]
    assert len(mine) == len(sent.calls) + 2
    assert sum(float(s["cost_usd"] or 0) for s in mine) == pytest.approx(sent.cost())

"""`vibes observe` against the live native stack after a known workload.

Every expected figure comes from the workload definition (tests/unit/cli/workload.py),
never from the CLI's own code."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

import workload as wl  # on sys.path via conftest

pytestmark = pytest.mark.integration


def _json(stack, *args):
    return json.loads(wl.run_cli(stack, *args, "--json").stdout)


def test_traces_finds_the_session_with_exact_tokens_and_cost(stack, sent):
    rows = _json(stack, "traces", "--session", sent.session_id)
    assert [r["trace_id"] for r in rows] == sent.trace_ids
    row = rows[0]
    assert row["session"] == sent.session_id and row["agent"] == sent.agent
    assert row["spans"] == len(sent.calls) + 2
    assert row["errors"] == 2  # rate-limited call + timed-out tool
    assert row["input_tokens"] == sent.tokens("input") == 2100
    assert row["output_tokens"] == sent.tokens("output") == 500
    assert row["cost_usd"] == pytest.approx(sent.cost()) and sent.cost() == pytest.approx(0.0172)
    assert row["unpriced_calls"] == 1 and row["unpriced_models"] == ["mystery-model-x"]


def test_traces_filters(stack, sent):
    assert [r["trace_id"] for r in _json(stack, "traces", "--agent", sent.agent, "--errors")] == sent.trace_ids
    assert _json(stack, "traces", "--session", sent.session_id, "--min-duration", "30s") == []
    assert _json(stack, "traces", "--session", "no-such-session") == []
    assert [r["trace_id"] for r in _json(stack, "traces", "--model", "mystery-model-x",
                                         "--service", sent.service)] == sent.trace_ids
    assert _json(stack, "traces", "--model", "no-such-model", "--service", sent.service) == []


def test_traces_show_renders_the_span_tree(stack, sent):
    out = wl.run_cli(stack, "traces", "show", sent.trace_ids[0]).stdout
    assert f"invoke_agent {sent.agent}" in out
    assert "chat gpt-4o" in out and "tokens=1,200 in/300 out" in out and "cost=$0.0125" in out
    assert "chat claude-sonnet-4" in out and "tokens=800 in/150 out" in out and "cost=$0.0047" in out
    assert "model=mystery-model-x" in out and "cost=unpriced" in out
    assert "ERROR RateLimitError" in out and "ERROR TimeoutError: search timed out" in out
    assert "cost $0.0172 +1 unpriced" in out.splitlines()[0]


def test_logs_from_the_native_store(stack, sent):
    lines = wl.run_cli(stack, "logs", "--session", sent.session_id, "--json").stdout.splitlines()
    records = [json.loads(l) for l in lines]
    bodies = [r["body"] for r in records]
    assert bodies[0] == "agent started" and bodies[-1] == "agent finished"
    assert len(records) == len(sent.calls) + 3
    assert {r["trace_id"] for r in records} == set(sent.trace_ids)
    errors = wl.run_cli(stack, "logs", "--session", sent.session_id, "--level", "error", "--json").stdout
    assert [json.loads(l)["body"] for l in errors.splitlines()] == [
        "chat gpt-4o failed: RateLimitError", "tool web_search failed: timed out"]
    grep = wl.run_cli(stack, "logs", "--agent", sent.agent, "--grep", "claude", "--json").stdout
    assert [json.loads(l)["body"] for l in grep.splitlines()] == ["chat claude-sonnet-4 ok: 800 in / 150 out"]
    by_service = wl.run_cli(stack, "logs", "--service", sent.service, "--json").stdout
    assert len(by_service.splitlines()) == len(records)
    by_trace = wl.run_cli(stack, "logs", "--trace-id", sent.trace_ids[0], "--json").stdout
    assert len(by_trace.splitlines()) == len(records)
    text = wl.run_cli(stack, "logs", "--session", sent.session_id, "--limit", "2")
    assert f"from VictoriaLogs {stack.victorialogs_url}" in text.stderr and "agent finished" in text.stdout
    assert len(text.stdout.splitlines()) == 2


def test_metrics_summary_exact_numbers(stack, sent):
    out = _json(stack, "metrics", "--agent", sent.agent, "--by", "model")
    t = out["total"]
    assert t["requests"] == len(sent.calls) == 4
    assert t["errors"] == sent.errors == 1
    assert t["error_rate"] == pytest.approx(0.25)
    assert t["tokens"] == {"input": 2100, "output": 500, "cache_read": 200, "reasoning": 40}
    assert t["cost_usd"] == pytest.approx(0.0172)
    assert t["unpriced_requests"] == 1
    assert 0.01 <= t["latency_p50_s"] <= t["latency_p95_s"] <= t["latency_p99_s"] <= 0.16
    by_model = out["by_model"]
    assert by_model["gpt-4o"]["requests"] == 2 and by_model["gpt-4o"]["errors"] == 1
    assert by_model["gpt-4o"]["cost_usd"] == pytest.approx(0.0125)
    assert by_model["mystery-model-x"]["cost_usd"] is None  # unknown, never $0
    text = wl.run_cli(stack, "metrics", "--agent", sent.agent).stdout
    assert "requests 4" in text and "errors 1 (25.0%)" in text
    assert "input 2,100" in text and "output 500" in text and "1 unpriced request(s)" in text


def test_metrics_time_series_adds_up_to_the_totals(stack, sent):
    rows = _json(stack, "metrics", "--agent", sent.agent, "--window", "20m", "--step", "5m", "--by", "model")["series"]
    assert 1 <= len(rows) <= 4
    assert sum(r["requests"] for r in rows) == len(sent.calls)
    assert sum(r["errors"] for r in rows) == sent.errors
    assert sum(r["input_tokens"] for r in rows) == sent.tokens("input")
    assert sum(r["output_tokens"] for r in rows) == sent.tokens("output")
    assert sum(r["cost_usd"] for r in rows) == pytest.approx(sent.cost())


def test_cost_from_prometheus_says_its_source(stack, sent):
    out = _json(stack, "cost", "--agent", sent.agent)["prometheus"]
    assert out["source"].startswith(f"Prometheus {stack.prometheus_url}")
    for period in ("today", "week", "month", "all"):
        e = out["periods"][period]
        assert e["cost_usd"] == pytest.approx(0.0172), period
        assert e["unpriced_requests"] == 1, period
        assert e["by_model"]["gpt-4o"]["cost_usd"] == pytest.approx(0.0125)
        assert e["by_model"]["claude-sonnet-4"]["cost_usd"] == pytest.approx(0.0047)
        assert e["by_cost_center"][sent.cost_center]["cost_usd"] == pytest.approx(0.0172)
    text = wl.run_cli(stack, "cost", "--agent", sent.agent, "--period", "today", "--by", "model").stdout
    assert "source: Prometheus" in text and "$0.0172 +1 unpriced" in text
    mystery = next(l for l in text.splitlines() if "mystery-model-x" in l)
    assert "unknown (unpriced)" in mystery and "$0" not in mystery


def test_cost_by_session_and_user_from_traces(stack, sent):
    out = _json(stack, "cost", "--session", sent.session_id)["traces"]
    assert out["source"].startswith(f"Jaeger {stack.jaeger_url} traces")
    g = out["groups"][sent.session_id]
    assert g["cost_usd"] == pytest.approx(0.0172) and g["unpriced_calls"] == 1
    assert g["input_tokens"] == 2100 and g["output_tokens"] == 500
    users = _json(stack, "cost", "--by", "user")["traces"]["groups"]
    assert users[sent.user_id]["cost_usd"] == pytest.approx(0.0172)
    text = wl.run_cli(stack, "cost", "--session", sent.session_id).stdout
    assert "source: Jaeger" in text and sent.session_id in text and "mystery-model-x" in text


def test_status_all_up(stack, sent):
    proc = wl.run_cli(stack, "status")
    for backend, url in (("prometheus", stack.prometheus_url), ("jaeger", stack.jaeger_url),
                         ("alertmanager", stack.alertmanager_url), ("victorialogs", stack.victorialogs_url)):
        line = next(l for l in proc.stdout.splitlines() if f" {backend} " in l)
        assert line.startswith("up") and url in line


def test_export_writes_the_window(stack, sent, tmp_path):
    proc = wl.run_cli(stack, "export", "--since", "15m", "--out", str(tmp_path / "j"))
    spans = [json.loads(l) for l in (tmp_path / "j" / "traces.jsonl").read_text().splitlines()]
    mine = [s for s in spans if s["session"] == sent.session_id]
    assert len(mine) == len(sent.calls) + 2
    assert sum(float(s["cost_usd"] or 0) for s in mine) == pytest.approx(0.0172)
    logs = [json.loads(l) for l in (tmp_path / "j" / "logs.jsonl").read_text().splitlines()]
    assert len([r for r in logs if r["session"] == sent.session_id]) == len(sent.calls) + 3
    metrics = [json.loads(l) for l in (tmp_path / "j" / "metrics.jsonl").read_text().splitlines()]
    from vibes_sdk import names as n
    cost_points = [m for m in metrics if m["metric"] == n.COST.prom
                   and m["labels"].get(n.prom_label(n.GEN_AI_AGENT_NAME)) == sent.agent]
    assert max(p["value"] for p in cost_points if p["labels"][n.prom_label(n.GEN_AI_REQUEST_MODEL)] == "gpt-4o") \
        == pytest.approx(0.0125)
    assert "traces rows" in proc.stdout and "metrics" in proc.stderr  # progress went to stderr
    wl.run_cli(stack, "export", "--since", "15m", "--format", "csv", "--signals", "traces",
               "--out", str(tmp_path / "c"))
    with (tmp_path / "c" / "traces.csv").open() as fh:
        rows = [r for r in csv.DictReader(fh) if r["session"] == sent.session_id]
    assert len(rows) == len(sent.calls) + 2
    assert not list((tmp_path / "c").glob("*.tmp"))


def test_unreachable_backend_names_url(stack):
    proc = wl.run_cli(stack, "traces", check=False, VIBES_JAEGER_URL="http://127.0.0.1:9")
    assert proc.returncode == 2
    assert "error: Jaeger at http://127.0.0.1:9: unreachable" in proc.stderr


def test_logs_follow_prints_records_as_they_arrive(stack):
    import queue
    import signal
    import subprocess
    import threading
    import time

    work = wl.make_workload()
    exe = Path(sys.executable).with_name("vibes")
    proc = subprocess.Popen([str(exe), "observe", "logs", "--follow", "--session", work.session_id,
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=wl.cli_env(stack),
                            # as a background job of a non-interactive shell: SIGINT ignored
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(l) for l in proc.stdout], daemon=True).start()
    try:
        time.sleep(2)  # the initial read is done: nothing of this session exists yet
        assert lines.empty()
        wl.send(work, stack.otlp_http_endpoint)
        got: list[dict] = []
        deadline = time.monotonic() + 30
        while len(got) < len(work.calls) + 3 and time.monotonic() < deadline:
            try:
                got.append(json.loads(lines.get(timeout=1)))
            except queue.Empty:
                pass
        assert [r["body"] for r in got][:1] == ["agent started"]
        assert len(got) == len(work.calls) + 3 and got[-1]["body"] == "agent finished"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0

"""Fork: children start clean (own providers, connections, resource), inherit nothing to
re-export, and flush at exit — Process, Pool (closed and terminated), fork during an export."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from vibes_sdk import names

from .otlp_sink import OtlpSink

APP = Path(__file__).with_name("fork_app.py")


def run_app(endpoint: str, mode: str) -> str:
    done = subprocess.run([sys.executable, str(APP), endpoint, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def worker_spans(sink) -> dict[int, list[dict]]:
    """Spans of `work(i)` by worker index, each with its resource."""
    out: dict[int, list[dict]] = {}
    for resource, span in sink.spans():
        if span["name"] == "chat gpt-4o":
            out.setdefault(span["attributes"]["worker"], []).append(resource)
    return out


def input_tokens_by_process(sink) -> dict[int, float]:
    """The last reported cumulative input-token total of each process (by process.pid)."""
    latest: dict[int, float] = {}
    for resource, metric, attrs, value in sink.metric_points():
        if metric == names.TOKENS.name and attrs.get(names.GEN_AI_TOKEN_TYPE) == "input":
            latest[resource[names.PROCESS_PID]] = value
    return latest


@pytest.mark.parametrize("mode, workers", [("process", 2), ("pool-close", 4), ("pool-terminate", 4)])
def test_children_export_their_own_telemetry_once(mode, workers):
    with OtlpSink() as sink:
        run_app(sink.endpoint, mode)
        spans = worker_spans(sink)
        assert sorted(spans) == [-1, *range(workers)], spans.keys()
        assert all(len(found) == 1 for found in spans.values()), "no span is exported twice"
        parent_pid = spans[-1][0][names.PROCESS_PID]
        for i in range(workers):
            resource = spans[i][0]
            assert resource[names.PROCESS_PID] != parent_pid
            assert names.SERVICE_INSTANCE_ID in resource  # its series never collide with the parent's
        per_process = input_tokens_by_process(sink)
        assert per_process[parent_pid] == 10  # the parent's counter holds only its own call
        children = {pid: v for pid, v in per_process.items() if pid != parent_pid}
        assert sum(children.values()) == 1000 * workers  # each child counted its calls, none the parent's
        logs = [r for _, r in sink.logs() if str(r["body"]).startswith("child ")]
        assert len(logs) == workers


def test_a_fork_during_a_hanging_metric_export_still_lets_the_child_export():
    release = threading.Event()


    with OtlpSink(hold=release) as sink:
        timer = threading.Timer(4.0, release.set)  # the hanging export ends after the fork
        timer.start()
        try:
            out = run_app(sink.endpoint, "fork-during-export")
        finally:
            timer.cancel()
            release.set()
        assert "exitcodes [0]" in out
        spans = worker_spans(sink)
        assert 7 in spans and len(spans[7]) == 1
        per_process = input_tokens_by_process(sink)
        assert 1000 in per_process.values(), per_process

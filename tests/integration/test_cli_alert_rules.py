"""`vibes observe alerts add|list|test|remove` against the live stack after a known
workload: rules in words become loaded Prometheus alerts routed to the stack config's
channels; `alerts test` evaluates them on live data and `--notify` delivers a marked
test through the real Alertmanager; a bad rule exits 2 and changes no rule file."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cli"))
import workload as wl  # noqa: E402
from conftest import poll  # noqa: E402

pytestmark = pytest.mark.integration

TAG = uuid.uuid4().hex[:6]
CHANNELS = [{"name": "ops-file", "type": "file"},
            {"name": "ops-console", "type": "console", "severities": ["critical"]}]


@pytest.fixture(scope="module")
def channels(stack):
    stack.redeploy({"alerting": {"channels": CHANNELS}})
    yield [c["name"] for c in CHANNELS]
    stack.reset()


@pytest.fixture(scope="module")
def sent(stack, channels):
    work = wl.send(wl.make_workload(), stack.otlp_http_endpoint)
    wl.wait_until_landed(work, stack)
    return work


def _json(stack, *args):
    return json.loads(wl.run_cli(stack, *args, "--json").stdout)


def _rule_files(stack) -> dict[str, bytes]:
    root = Path(stack.state_dir) / "config" / "prometheus"
    return {str(p): p.read_bytes() for d in ("rules", "user-rules") if (root / d).is_dir()
            for p in sorted((root / d).iterdir())}


def test_add_list_test_remove(stack, sent):
    name = f"CliTooManyRequests{TAG}"
    added = _json(stack, "alerts", "add", "requests > 3 over 30m for 10m", "--agent", sent.agent,
                  "--channel", "ops-file", "--name", name)
    assert (added["name"], added["kind"], added["loaded"], added["channels"]) == (name, "MetricAbove", True,
                                                                               ["ops-file"])
    assert Path(added["file"]).parent == Path(stack.state_dir) / "config" / "prometheus" / "user-rules"
    listed = {r["name"]: r for r in _json(stack, "alerts", "list")}
    row = listed[name]
    assert (row["source"], row["severity"], row["channels"]) == ("alerts add", "warning", ["ops-file"])
    assert row["rule"] == "requests > 3 over 30m for 10m" and row["state"] in ("inactive", "pending", "firing")
    assert listed["Watchdog"]["channels"] == ["watchdog"]
    assert listed["LLMErrorRateHigh"]["source"] == "shipped"
    critical = [r for r in listed.values() if r["severity"] == "critical" and r["source"] == "shipped"]
    assert critical and all(r["channels"] == ["ops-file", "ops-console"] for r in critical)

    tested = _json(stack, "alerts", "test", name)
    assert tested["value"] == len(sent.calls) == 4  # the workload's calls by this agent
    assert (tested["threshold"], tested["would_fire"], tested["for"]) == ("> 3", True, "10m")

    wl.run_cli(stack, "alerts", "remove", name)
    assert name not in {r["name"] for r in _json(stack, "alerts", "list")}
    assert not Path(added["file"]).exists()
    again = wl.run_cli(stack, "alerts", "remove", name, check=False)
    assert again.returncode == 2 and name in again.stderr


@pytest.mark.parametrize("words, scope, expected", [
    ("requests > 3 over 30m", {}, lambda w: float(len(w.calls))),
    ("errors > 0 over 30m", {}, lambda w: float(w.errors)),
    ("tokens > 100000 over 1h", {}, lambda w: float(sum(w.tokens(t) for t in ("input", "output", "cache_read",
                                                                                "reasoning")))),
    ("cost > 1 USD over 1h", {"model": "gpt-4o"}, lambda w: w.cost("gpt-4o")),
    ("unpriced requests > 0 over 1h", {}, lambda w: float(w.unpriced_calls)),
])
def test_rule_in_words_evaluated_on_live_data(stack, sent, words, scope, expected):
    flags = [x for k, v in scope.items() for x in (f"--{k}", v)]
    out = _json(stack, "alerts", "test", words, "--agent", sent.agent, *flags)
    assert out["source"] == "rule in words"
    assert out["value"] == pytest.approx(expected(sent))
    op, threshold = out["threshold"].split()[0], float(out["threshold"].split()[1])
    assert out["would_fire"] == (out["value"] > threshold if op == ">" else out["value"] < threshold)


def test_shipped_rule_evaluates(stack, sent):
    out = _json(stack, "alerts", "test", "Watchdog")
    assert (out["source"], out["would_fire"], out["channels"]) == ("loaded rule", True, ["watchdog"])


def test_notify_delivers_a_marked_test_to_the_rules_channel(stack, sent):
    name = f"CliNotify{TAG}"
    _json(stack, "alerts", "add", "errors > 0 over 30m", "--agent", sent.agent, "--channel", "ops-file",
          "--name", name, "--severity", "info")
    try:
        out = _json(stack, "alerts", "test", name, "--notify")
        assert [(d["channel"], d["type"], d["delivered"]) for d in out["notifications"]] == [
            ("ops-file", "file", True)]

        def received():
            lines = stack.alert_receiver_file.read_text().splitlines() if stack.alert_receiver_file.exists() else []
            return [r for r in map(json.loads, lines) if r["alertname"] == name]

        got = poll(received, timeout=30, what="the test notification in the file channel")
        assert got[0]["channel"] == "ops-file" and got[0]["annotations"]["summary"].startswith("[TEST] ")
        assert got[0]["labels"]["vibes_test"] == "true"
    finally:
        wl.run_cli(stack, "alerts", "remove", name, check=False)


@pytest.mark.parametrize("args, culprit", [
    (["cost > 5 EUR per day"], "EUR"),
    (["latency p95 > 8s", "--model", f"no-such-model-{TAG}"], "--model"),
    (["error rate > 5%", "--channel", "no-such-channel"], "--channel 'no-such-channel'"),
    (["error rate > 5%", "--description", "broken {{ $value "], "promtool check rules"),
    (["error rate > 5%", "--name", "Watchdog"], "'Watchdog' exists"),
    (["error rate > 5%", "--severity", "urgent"], "--severity"),
])
def test_bad_rule_exits_2_and_changes_no_rule_file(stack, sent, args, culprit):
    before = _rule_files(stack)
    proc = wl.run_cli(stack, "alerts", "add", *args, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and culprit in lines[0]
    assert _rule_files(stack) == before

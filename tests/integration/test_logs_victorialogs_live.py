"""Native logs in VictoriaLogs, live: every filter through the CLI, --follow through its live
tail, restarts and crashes of the log database under load, retention, the old-store import."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
from conftest import poll
from opentelemetry._logs import SeverityNumber

from vibes_observe.clients.logs_model import LogFilter
from vibes_observe.clients.victorialogs import VictoriaLogsClient

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "unit" / "cli"))
import workload as wl  # noqa: E402  (the CLI runner the other live CLI tests use)

HOUR_NS = 3600 * 10**9


def _records(stack, service: str, since_ns: int | None = None) -> list:
    client = VictoriaLogsClient(stack.victorialogs_url)
    now = time.time_ns()
    return client.query(LogFilter(service=service), start_ns=since_ns or now - HOUR_NS, end_ns=now)


def _cli_bodies(stack, *args: str) -> list[str]:
    out = wl.run_cli(stack, "logs", "--json", *args).stdout
    return [json.loads(line)["body"] for line in out.splitlines()]


def test_plain_otel_records_are_found_with_every_filter(stack, otlp_client):
    """A bare OpenTelemetry SDK client (no vibes_sdk): its attributes are the only context."""
    svc = otlp_client.service
    logger = otlp_client.logger_provider.get_logger("plain")
    ctx = {"gen_ai.conversation.id": f"plain-sess-{svc}", "gen_ai.agent.name": "plain-agent"}
    with otlp_client.tracer.start_as_current_span("plain work") as span:
        trace_id = format(span.get_span_context().trace_id, "032x")
        logger.emit(body="plain started", severity_number=SeverityNumber.INFO, severity_text="INFO",
                    attributes=ctx)
        logger.emit(body="plain upstream 503 failed", severity_number=SeverityNumber.ERROR,
                    severity_text="ERROR", attributes=ctx)
    logger.emit(body="plain outside the trace", severity_number=SeverityNumber.WARN, severity_text="WARN")
    otlp_client.flush()
    poll(lambda: len(_records(stack, svc)) == 3, timeout=60, what="3 plain records in VictoriaLogs")

    assert _cli_bodies(stack, "--service", svc) == ["plain started", "plain upstream 503 failed",
                                                     "plain outside the trace"]
    assert _cli_bodies(stack, "--session", ctx["gen_ai.conversation.id"]) == ["plain started",
                                                                             "plain upstream 503 failed"]
    assert _cli_bodies(stack, "--service", svc, "--agent", "plain-agent", "--level", "warn") == [
        "plain upstream 503 failed"]
    assert _cli_bodies(stack, "--service", svc, "--level", "warn") == ["plain upstream 503 failed",
                                                                       "plain outside the trace"]
    assert _cli_bodies(stack, "--trace-id", trace_id) == ["plain started", "plain upstream 503 failed"]
    assert _cli_bodies(stack, "--service", svc, "--grep", r"\b50[0-9]\b") == ["plain upstream 503 failed"]
    assert _cli_bodies(stack, "--service", svc, "--limit", "1") == ["plain outside the trace"]
    assert _cli_bodies(stack, "--service", svc, "--since", "2h", "--until", "1h") == []


def test_follow_prints_records_as_they_arrive(stack, otlp_client):
    exe = Path(sys.executable).with_name("vibes")
    proc = subprocess.Popen([str(exe), "observe", "logs", "--follow", "--json", "--service", otlp_client.service],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=wl.cli_env(stack))
    try:
        time.sleep(3)  # the first listing (empty) is printed, the live tail is open
        marker = f"followed {uuid.uuid4()}"
        otlp_client.log(marker)
        otlp_client.flush()
        got: list[str] = []
        reader = threading.Thread(target=lambda: got.append(proc.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=60)
        assert got and json.loads(got[0])["body"] == marker, f"--follow printed {got!r}"
    finally:
        proc.kill()
        proc.wait()


def _send_logs(client, seconds: float, sent: list[tuple[int, float]], stop: threading.Event) -> None:
    deadline, seq = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and not stop.is_set():
        client.log(f"load {seq}", seq=seq)
        sent.append((seq, time.time()))
        seq += 1
        time.sleep(0.01)


def _seqs(stack, service: str) -> set[int]:
    return {int(e.attributes["seq"]) for e in _records(stack, service)}


def _under_load(stack, client, outage, lead_s: float) -> tuple[list[tuple[int, float]], float]:
    """Send for ``lead_s`` + 9 s; ``outage()`` hits the log database ``lead_s`` in.
    Returns what was sent (seq, when) and when the outage began."""
    sent: list[tuple[int, float]] = []
    stop = threading.Event()
    sender = threading.Thread(target=_send_logs, args=(client, lead_s + 9, sent, stop))
    try:
        sender.start()
        time.sleep(lead_s)
        hit_at = time.time()
        outage()
        sender.join()
        client.flush()
    finally:
        stop.set()
        sender.join()
        if not stack.pid("victorialogs"):
            stack.start("victorialogs")
    assert len(sent) > 300
    return sent, hit_at


def test_log_database_restart_under_load_loses_nothing(stack, otlp_client):
    def restart():
        stack.stop("victorialogs")     # SIGTERM: it flushes, records keep coming into the collector queue
        time.sleep(3)
        stack.start("victorialogs")
    sent, _ = _under_load(stack, otlp_client, restart, lead_s=3)
    want = {seq for seq, _ in sent}
    poll(lambda: _seqs(stack, otlp_client.service) >= want, timeout=90,
         what=f"all {len(want)} records after a restart of VictoriaLogs")
    assert _seqs(stack, otlp_client.service) == want


def test_log_database_crash_under_load_loses_only_its_unflushed_second(stack, otlp_client):
    """SIGKILL. Whatever reached the collector while VictoriaLogs was down or after is delivered
    from the persistent queue. VictoriaLogs acknowledges a write before it is on disk (it saves
    in-memory data every -inmemoryDataFlushInterval, 1 s here): records it acknowledged in its
    last moments can go with the process — measured, and bounded to the seconds before the crash."""
    def crash():
        stack.kill("victorialogs")
        time.sleep(3)
        stack.start("victorialogs")
    sent, killed_at = _under_load(stack, otlp_client, crash, lead_s=12)
    after = {seq for seq, at in sent if at >= killed_at}
    poll(lambda: _seqs(stack, otlp_client.service) >= after, timeout=90,
         what=f"all {len(after)} records sent during and after the crash")
    got = _seqs(stack, otlp_client.service)
    lost = [(seq, at) for seq, at in sent if seq not in got]
    print(f"\nVictoriaLogs SIGKILL under load: {len(lost)} of {len(sent)} records lost "
          f"(sent {min((killed_at - at for _, at in lost), default=0):.2f}–"
          f"{max((killed_at - at for _, at in lost), default=0):.2f}s before the kill)")
    # SDK batch 0.2 s + collector batch 1 s + VictoriaLogs flush 1 s, with margin for a busy machine;
    # records sent longer before the crash (12 s of them) must all be there
    window_s = 6.0
    assert any(killed_at - at > window_s for _, at in sent)
    assert all(killed_at - at <= window_s for _, at in lost), (
        f"records older than {window_s}s before the crash were lost: {lost[:5]}")


def test_retention_deletes_old_data(stack, otlp_client):
    """Records older than retention.logs go when VictoriaLogs drops their day's partition
    (it checks at start and hourly): a record from two days ago survives 7d, not 1d."""
    old_ns = time.time_ns() - 2 * 24 * HOUR_NS
    logger = otlp_client.logger_provider.get_logger("retention")
    logger.emit(timestamp=old_ns, body="two days old", severity_number=SeverityNumber.INFO)
    otlp_client.log("fresh")
    otlp_client.flush()
    svc = otlp_client.service
    poll(lambda: len(_records(stack, svc, since_ns=old_ns - HOUR_NS)) == 2, timeout=60,
         what="the old and the fresh record under the 7d default")
    try:
        result = stack.redeploy({"retention": {"logs": "1d"}})
        assert result.restarted == ["victorialogs"], result
        bodies = poll(lambda: [e.body for e in _records(stack, svc, since_ns=old_ns - HOUR_NS)] or None,
                      timeout=30, what="VictoriaLogs answering after the retention change")
        assert bodies == ["fresh"]
    finally:
        stack.reset()


def test_old_file_store_is_imported_once(stack, tmp_path):
    """`vibes observe logs import`: OTLP-JSON lines of the old store → collector → VictoriaLogs."""
    store = tmp_path / "old-store"
    store.mkdir()
    service = f"imported-{uuid.uuid4().hex[:6]}"
    now = time.time_ns()
    lines = []
    for i in range(3):
        record = {"timeUnixNano": str(now - (3 - i) * 10**9), "severityNumber": 17 if i == 2 else 9,
                  "body": {"stringValue": f"old record {i}"},
                  "attributes": [{"key": "gen_ai.conversation.id", "value": {"stringValue": "old-sess"}}]}
        lines.append(json.dumps({"resourceLogs": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
            "scopeLogs": [{"scope": {"name": "old"}, "logRecords": [record]}]}]}))
    (store / "logs.jsonl").write_text("\n".join(lines[:2]) + "\n")
    (store / "logs-2026-11-29T10-00-00.000.jsonl").write_text(lines[2] + "\n")

    out = wl.run_cli(stack, "logs", "import", str(store), "--otlp-endpoint", stack.otlp_http_endpoint).stdout
    assert out.startswith("imported 3 record(s) from 2 file(s)")
    poll(lambda: len(_records(stack, service)) == 3, timeout=60, what="3 imported records in VictoriaLogs")
    assert _cli_bodies(stack, "--service", service, "--level", "error") == ["old record 2"]

    again = wl.run_cli(stack, "logs", "import", str(store), check=False)
    assert again.returncode == 2 and "was imported already" in again.stderr
    shutil.rmtree(store)

"""The console/file receiver as a real process on a real socket."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

PAYLOAD = {
    "version": "4", "status": "firing", "receiver": "critical", "groupKey": "{}:{}",
    "alerts": [
        {"status": "firing", "labels": {"alertname": "CostBudgetExceeded", "severity": "critical", "budget": "daily"},
         "annotations": {"summary": "A cost budget is exceeded.", "description": "Budget daily: $51.00"},
         "startsAt": "2026-01-01T00:00:00Z", "endsAt": "0001-01-01T00:00:00Z"},
        {"status": "resolved", "labels": {"alertname": "TargetDown", "severity": "warning"},
         "annotations": {"summary": "A monitored component is down."},
         "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-01T00:05:00Z"},
    ],
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def receiver(tmp_path):
    port = _free_port()
    out = tmp_path / "alerts" / "alerts.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "vibes_observe.alert_receiver", "--listen", f"127.0.0.1:{port}",
                             "--file", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1)
            break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        pytest.fail("receiver did not start: " + proc.communicate()[1])
    yield url, out, proc
    proc.terminate()
    proc.wait(5)


def _post(url: str, body: bytes) -> int:
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}, method="POST")
    try:
        return urllib.request.urlopen(req, timeout=5).status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_healthz(receiver):
    url, _, _ = receiver
    assert urllib.request.urlopen(url + "/healthz", timeout=5).status == 200


def test_file_sink_appends_one_line_per_alert(receiver):
    url, out, proc = receiver
    assert _post(url + "/alerts?sink=file&channel=jsonl", json.dumps(PAYLOAD).encode()) == 200
    assert _post(url + "/alerts", json.dumps(PAYLOAD).encode()) == 200
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert len(lines) == 4
    first = lines[0]
    assert (first["status"], first["alertname"], first["severity"], first["channel"], first["receiver"]) == (
        "firing", "CostBudgetExceeded", "critical", "jsonl", "critical")
    assert first["annotations"]["summary"] == "A cost budget is exceeded."
    assert lines[1]["status"] == "resolved" and lines[1]["endsAt"] == "2026-01-01T00:05:00Z"
    assert oct(out.stat().st_mode & 0o777) == "0o600"


def test_console_sink_prints_but_does_not_append(receiver):
    url, out, proc = receiver
    assert _post(url + "/alerts?sink=console&channel=console", json.dumps(PAYLOAD).encode()) == 200
    assert not out.exists()
    proc.terminate()
    stdout, _ = proc.communicate(timeout=5)
    printed = [json.loads(x) for x in stdout.splitlines()]
    assert [p["alertname"] for p in printed] == ["CostBudgetExceeded", "TargetDown"]


@pytest.mark.parametrize("body", [b"not json", b'{"status": "firing"}', b"[]"])
def test_bad_payload_is_400_and_writes_nothing(receiver, body):
    url, out, _ = receiver
    assert _post(url + "/alerts", body) == 400
    assert not out.exists()


def test_unknown_path_is_404(receiver):
    url, _, _ = receiver
    assert _post(url + "/other", b"{}") == 404


def test_bad_listen_argument_fails_clearly():
    res = subprocess.run([sys.executable, "-m", "vibes_observe.alert_receiver", "--listen", "nohostport"],
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 2 and "--listen: 'nohostport' is not HOST:PORT" in res.stderr

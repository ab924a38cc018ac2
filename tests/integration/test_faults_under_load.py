"""Faults under a steady vibes_sdk load (its own process, tests/integration/sdk_load.py):
Jaeger, Prometheus and the collector (with spans queued on disk) stopped and restarted one
at a time, and a run with no collector at all. Sent and stored are counted on both ends
(spans in Jaeger, log records through `vibes observe logs`, requests in Prometheus) and
printed per fault; the SDK's own drop counts (`vibes.dropped()`) close the account.

Promises checked: a backend going away loses nothing (the collector's file-backed queue
holds it); a collector restart loses nothing it had accepted, and whatever the SDK could
not deliver meanwhile is counted as dropped, never lost silently; without a collector the
host keeps running with bounded memory and every item is counted as dropped.
"""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
from conftest import http_json, live_sdk_settings

import workload as wl
from vibes_sdk import names

LOAD_SCRIPT = Path(__file__).with_name("sdk_load.py")
RATE, SECONDS = 20, 14  # calls (= spans = log records) per second, load duration
#: the SDK's documented bounds: 2,048 items and 64 MiB per signal queue (README)
RSS_GROWTH_BOUND_KIB = 3 * 64 * 1024


def _start_load(service: str, sdk: dict, seconds: float = SECONDS, **extra) -> subprocess.Popen:
    spec = {"service": service, "seconds": seconds, "rate": RATE, "sdk": sdk, **extra}
    # stderr: the exporters' retry warnings and the log records echoed, not needed here
    return subprocess.Popen([sys.executable, str(LOAD_SCRIPT), json.dumps(spec)], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)


def _until_sent(proc: subprocess.Popen, seconds: int) -> None:
    """Block until the load has run ``seconds`` seconds (one progress line each)."""
    for _ in range(seconds):
        line = proc.stdout.readline()
        assert line, "the load process ended early"


def _summary(proc: subprocess.Popen) -> dict:
    out = proc.stdout.read()  # what readline() buffered too (communicate() would skip it)
    proc.wait(timeout=60)
    lines = out.strip().splitlines()
    assert proc.returncode == 0 and lines and "summary" in lines[-1], (proc.returncode, out)
    return json.loads(lines[-1])["summary"]


def _stored(stack, service: str) -> dict[str, int]:
    q = urllib.parse.urlencode({"service": service, "limit": 100000, "lookback": "1h"})
    traces = http_json(f"{stack.jaeger_url}/api/traces?{q}").get("data") or []
    spans = {s["spanID"] for t in traces for s in t["spans"]}
    proc = wl.run_cli(stack, "logs", "--service", service, "--since", "1h", "--limit", "0", "--json")
    logs = [json.loads(line) for line in proc.stdout.splitlines() if line.strip()]
    # the last value Prometheus stored: the exporter stops exposing an ended process' series
    expr = f'sum(max_over_time({names.OPERATION_DURATION.prom_count}{{job="{service}"}}[10m]))'
    res = http_json(f"{stack.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    requests = int(float(res["data"]["result"][0]["value"][1])) if res["data"]["result"] else 0
    return {"spans": len(spans), "logs": sum(1 for r in logs if r["body"].startswith("load tick")),
            "requests": requests}


def _dropped(summary: dict, signal: str) -> int:
    return sum(n for key, n in summary["dropped"].items() if key.startswith(signal + "/"))


def _report(fault: str, summary: dict, stored: dict) -> None:
    print(f"\nFAULT {fault}: sent {summary['sent']} calls/spans/logs; stored spans {stored['spans']}, "
          f"logs {stored['logs']}, requests {stored['requests']}; SDK dropped {summary['dropped'] or 0}; "
          f"call p50/p99 {summary['call_us_p50']:.0f}/{summary['call_us_p99']:.0f} µs; "
          f"RSS {summary['rss_start_kib'] // 1024}→{summary['rss_peak_kib'] // 1024} MiB peak")


def _await_stored(stack, service: str, summary: dict, timeout: float = 120) -> dict:
    """Stored counts once everything the SDK delivered has arrived, or as they are at ``timeout``."""
    want = {"spans": summary["sent"] - _dropped(summary, "traces"),
            "logs": summary["sent"] - _dropped(summary, "logs"), "requests": summary["sent"]}
    deadline = time.monotonic() + timeout
    while True:
        stored = _stored(stack, service)
        if all(stored[k] >= want[k] for k in want) or time.monotonic() > deadline:
            return stored
        time.sleep(2)


def _restart(stack, component: str, down_s: float) -> None:
    t0 = time.monotonic()
    stack.stop(component)
    stopped = time.monotonic()
    time.sleep(down_s)
    stack.start(component)
    print(f"\n{component}: stop took {stopped - t0:.1f} s, start {time.monotonic() - stopped - down_s:.1f} s")


def _ensure_up(stack, *components: str) -> None:
    for c in components:
        if not stack.pid(c):
            stack.start(c)


@pytest.mark.parametrize("component", ["jaeger", "prometheus"])
def test_backend_restart_under_load_loses_nothing(stack, component):
    service = f"fault-{component}-{uuid.uuid4().hex[:6]}"
    proc = _start_load(service, live_sdk_settings(stack))
    try:
        _until_sent(proc, 3)
        _restart(stack, component, down_s=4)
        summary = _summary(proc)
    finally:
        _ensure_up(stack, component)
        if proc.poll() is None:
            proc.kill()
    stored = _await_stored(stack, service, summary)
    _report(f"{component} stopped 4 s and restarted", summary, stored)
    assert summary["sent"] >= RATE * SECONDS * 0.8
    assert summary["dropped"] == {}, "the collector was up: the SDK had no reason to drop"
    assert stored == {"spans": summary["sent"], "logs": summary["sent"], "requests": summary["sent"]}


def test_collector_restart_with_queue_on_disk_under_load(stack):
    """Jaeger down so spans wait in the collector's file-backed queue, then the collector is
    stopped and started again while the SDK keeps sending."""
    service = f"fault-collector-{uuid.uuid4().hex[:6]}"
    proc = _start_load(service, live_sdk_settings(stack))
    try:
        _until_sent(proc, 2)
        stack.stop("jaeger")
        _until_sent(proc, 3)          # ~60 spans accepted and queued on disk
        _restart(stack, "collector", down_s=3)
        stack.start("jaeger")
        summary = _summary(proc)
    finally:
        _ensure_up(stack, "jaeger", "collector")
        if proc.poll() is None:
            proc.kill()
    stored = _await_stored(stack, service, summary)
    _report("collector restarted (3 s down) with spans queued on disk, Jaeger down meanwhile", summary, stored)
    for signal, kind in (("traces", "spans"), ("logs", "logs")):
        accepted = summary["sent"] - _dropped(summary, signal)
        # nothing the collector accepted is lost; what it could not accept is counted as dropped
        assert accepted <= stored[kind] <= summary["sent"], (kind, stored, summary)
    # cumulative counters: the next export carries the total
    assert stored["requests"] == summary["sent"], _metric_trail(stack, service)


def _metric_trail(stack, service: str) -> str:
    """Where the request counter got lost: the collector's exporter page, Prometheus' samples."""
    import urllib.request
    with urllib.request.urlopen(stack.collector_metrics_url + "/metrics", timeout=10) as resp:
        exposed = [line for line in resp.read().decode().splitlines()
                   if service in line and names.OPERATION_DURATION.prom_count in line]
    expr = f'{names.OPERATION_DURATION.prom_count}{{job="{service}"}}[10m]'
    res = http_json(f"{stack.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
    return f"collector exposes {exposed}; Prometheus has {res['data']['result']}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_no_collector_for_the_whole_run_bounds_memory_and_counts_every_drop(stack):
    sdk = live_sdk_settings(stack) | {"endpoint": f"http://127.0.0.1:{_free_port()}"}
    summary = _summary(_start_load(f"fault-absent-{uuid.uuid4().hex[:6]}", sdk, seconds=10, shutdown_timeout=3))
    _report("no collector at all (10 s)", summary, {"spans": 0, "logs": 0, "requests": 0})
    assert _dropped(summary, "traces") == summary["sent"]
    # >=: the exporters' own "transient error" warnings are log records of the host too
    assert _dropped(summary, "logs") >= summary["sent"]
    assert summary["rss_peak_kib"] - summary["rss_start_kib"] < RSS_GROWTH_BOUND_KIB

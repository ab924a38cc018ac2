"""Native logs: VictoriaLogs vs the old OTLP-JSON file store, side by side (figures, not a test).

Brings up its own native stack through the same deploy code as `make up` (scratch state dir,
ports shifted by --port-offset) and loads it with `telemetrygen logs` (pinned in
stack/versions.yaml, built and cached like the stack's binaries) spread over --services
services/sessions (every tenth one at level ERROR), plus --sdk-sessions vibes_sdk sessions
whose closed-session summaries feed `cost --by session`.

Phase 1: logs are exported to VictoriaLogs AND to an OTLP-JSON `file` export target — exactly
the old native store's format — until --file-records; the same queries run against both.
Phase 2: the file export is dropped and VictoriaLogs is loaded up to --records; the queries
run again, with the ingest rate (records/s until all are searchable), disk bytes per record
and VictoriaLogs' RSS. Each query figure is the median of 3, through the CLI's own functions
(`fetch`, `session_summaries`), plus the whole `vibes observe …` command as a subprocess.

Usage: python bench/bench_logs.py [--records 1000000] [--file-records 200000] [--port-offset 24000]
The issue's figure: python bench/bench_logs.py --records 5000000
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from vibes_observe.clients.logs_model import LogFilter  # noqa: E402
from vibes_observe.clients.logstore import LogStore  # noqa: E402
from vibes_observe.clients.victorialogs import VictoriaLogsClient  # noqa: E402
from vibes_observe.commands.trace_cost import session_summaries  # noqa: E402
from vibes_observe.commands.logs import fetch  # noqa: E402
from vibes_stack import binaries, config, deploy, supervisor  # noqa: E402

HOUR_NS = 3600 * 10**9


def telemetrygen() -> str:
    path, _ = binaries.find("telemetrygen")
    return path or str(binaries.go_install("telemetrygen"))


def load(tg: str, endpoint: str, records: int, services: int, first: int) -> None:
    """``records`` log records over ``services`` telemetrygen runs (4 at a time), one service + session each."""
    per_run = max(1, records // services)

    def run(i: int) -> None:
        error = i % 10 == 0
        argv = [tg, "logs", "--otlp-endpoint", endpoint, "--otlp-http", "--otlp-insecure", "--rate", "0",
                "--batch-size", "1000", "--logs", str(per_run), "--service", f"bench-svc-{i:04d}",
                "--telemetry-attributes", f'gen_ai.conversation.id="bench-sess-{i:04d}"',
                "--telemetry-attributes", f'gen_ai.agent.name="agent-{i % 7}"',
                "--severity-text", "Error" if error else "Info", "--severity-number", "17" if error else "9",
                "--body", f"bench record from service {i} " + ("failed: upstream timeout" if error else "ok")]
        subprocess.run(argv, check=True, capture_output=True, timeout=3600)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(run, range(first, first + services)))


def sdk_sessions(endpoint: str, count: int, tag: str) -> None:
    """Closed vibes_sdk sessions (one summary record each) in a child process: init/shutdown are global."""
    code = f"""
import vibes_sdk as vibes
vibes.init(service_name="bench-sdk-{tag}", endpoint={endpoint!r}, system_metrics=False)
for i in range({count}):
    with vibes.session(f"sdk-sess-{tag}-{{i}}", user_id=f"user-{{i % 50}}"):
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(1000 + i, 100)
vibes.shutdown(30)
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=REPO, timeout=600)


def count(vl: VictoriaLogsClient) -> int:
    rows = list(vl.rows("* | count() records", start_ns=time.time_ns() - 24 * HOUR_NS, end_ns=time.time_ns()))
    return int(rows[0]["records"]) if rows else 0


def wait_for(vl: VictoriaLogsClient, target: int, timeout: float = 3600) -> int:
    """The record count once it reached ``target`` and stopped moving (everything searchable)."""
    deadline, last = time.monotonic() + timeout, -1
    while time.monotonic() < deadline:
        n = count(vl)
        if n >= target and n == last:
            return n
        last = n
        time.sleep(1)
    raise SystemExit(f"only {last:,} of {target:,} records arrived in VictoriaLogs")


def timed(fn: Callable[[], Any], repeat: int = 3) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def queries(source: Any) -> dict[str, Callable[[], Any]]:
    now = time.time_ns()
    return {
        "logs --session S --limit 50": lambda: fetch(source, LogFilter(session="bench-sess-0007",
                                                                     since_ns=now - 24 * HOUR_NS), 50),
        "logs --level error --since 1h": lambda: fetch(source, LogFilter(level="ERROR", since_ns=now - HOUR_NS), 200),
        "logs --service S --limit 3 --since 10m": lambda: fetch(source, LogFilter(service="bench-svc-0003",
                                                                                since_ns=now - HOUR_NS // 6), 3),
        "cost --by session (log part, 24h)": lambda: session_summaries(source, since_ns=now - 24 * HOUR_NS,
                                                                       service=None, session=None, user=None),
    }


def cli_seconds(env: dict[str, str], *args: str) -> float:
    exe = Path(sys.executable).with_name("vibes")
    start = time.perf_counter()
    subprocess.run([str(exe), "observe", *args, "--json"], env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - start


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def rss_mib(pid: int) -> tuple[float, float]:
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--file-records", type=int, default=200_000, help="size the old file store is compared at")
    ap.add_argument("--services", type=int, default=200, help="services (and sessions) over all records")
    ap.add_argument("--sdk-sessions", type=int, default=300)
    ap.add_argument("--port-offset", type=int, default=int(os.environ.get("VIBES_BENCH_PORT_OFFSET", "24000")))
    ap.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = ap.parse_args()

    tg = telemetrygen()
    state = Path(tempfile.mkdtemp(prefix="vibes-bench-logs-"))
    file_store = state / "old-file-store"
    defaults = config.load_defaults()
    user = {"ports": {k: v + args.port_offset for k, v in defaults["ports"].items()}}
    with_file = {**user, "exports": {"logs": ["loki", {"type": "file", "path": str(file_store / "logs.jsonl")}]}}

    def up(cfg: dict) -> deploy.Prepared:
        prep = deploy.prepare("native", state_dir=state, user=cfg, out=lambda line: None)
        deploy.apply(prep, "up")
        bad = deploy.wait_all_healthy(prep, timeout=120)
        if bad:
            raise SystemExit(f"bench stack not healthy: {bad}")
        return prep

    ports = {k: v + args.port_offset for k, v in defaults["ports"].items()}
    otlp = f"127.0.0.1:{ports['collector_otlp_http']}"
    vl = VictoriaLogsClient(f"http://127.0.0.1:{ports['victorialogs']}")
    env = {**os.environ, "VIBES_VICTORIALOGS_URL": vl.url, "VIBES_JAEGER_URL": f"http://127.0.0.1:{ports['jaeger_query']}",
           "VIBES_PROMETHEUS_URL": f"http://127.0.0.1:{ports['prometheus']}", "VIBES_HOME": str(state)}
    prep = up(with_file)
    report: dict[str, Any] = {"records": args.records, "file_records": args.file_records}
    try:
        # phase 1: both stores
        phase1_services = max(10, args.services * args.file_records // args.records)
        sdk_sessions(f"http://{otlp}", args.sdk_sessions, "p1")
        load(tg, otlp, args.file_records, phase1_services, 0)
        expected = args.file_records // phase1_services * phase1_services + args.sdk_sessions
        n1 = wait_for(vl, expected)
        time.sleep(3)  # the file exporter flushes every second
        store = LogStore(file_store)
        report["phase1"] = {"victorialogs_records": n1, "file_store_bytes": disk_bytes(file_store),
                            "queries": {}}
        for name, fn in queries(vl).items():
            vl_s, vl_result = timed(fn)
            file_s, file_result = timed(queries(store)[name], repeat=1)
            report["phase1"]["queries"][name] = {"victorialogs_s": vl_s, "file_store_s": file_s,
                                                 "same_answer": len(vl_result) == len(file_result)}
        # phase 2: VictoriaLogs only, up to --records
        prep = up(user)
        rest = args.records - n1
        start = time.monotonic()
        load(tg, otlp, rest, args.services - phase1_services, phase1_services)
        target = n1 + rest // (args.services - phase1_services) * (args.services - phase1_services)
        n2 = wait_for(vl, target)
        ingest_s = time.monotonic() - start
        pid = supervisor.read_pid(prep.state.run, "victorialogs")
        rss, peak = rss_mib(pid)
        data = disk_bytes(prep.state.data / "victorialogs")
        report["phase2"] = {"victorialogs_records": n2, "ingest_records_per_s": (n2 - n1) / ingest_s,
                            "disk_bytes": data, "disk_bytes_per_record": data / n2,
                            "rss_mib": rss, "rss_peak_mib": peak, "queries": {}, "cli_s": {}}
        for name, fn in queries(vl).items():
            report["phase2"]["queries"][name] = timed(fn)[0]
        for label, cli_args in (("vibes observe logs --session S --limit 50", ["logs", "--session", "bench-sess-0007", "--limit", "50", "--since", "24h"]),
                                ("vibes observe logs --level error --since 1h", ["logs", "--level", "error", "--since", "1h"]),
                                ("vibes observe cost --by session --since 24h", ["cost", "--by", "session", "--since", "24h"])):
            report["phase2"]["cli_s"][label] = statistics.median(cli_seconds(env, *cli_args) for _ in range(3))
    finally:
        if args.keep:
            print(f"bench stack left running (VIBES_VICTORIALOGS_URL={vl.url}); stop it with "
                  f"`VIBES_HOME={state} python -m vibes_stack down`")
        else:
            deploy.apply(prep, "down")
            shutil.rmtree(state, ignore_errors=True)
    print_report(report)
    return 0


def print_report(r: dict[str, Any]) -> None:
    p1, p2 = r["phase1"], r["phase2"]
    n1 = p1["victorialogs_records"]
    print(f"\nphase 1: {n1:,} records in both stores (file store {p1['file_store_bytes'] / n1:.0f} bytes/record)")
    print(f"{'query':<42} {'VictoriaLogs':>13} {'file store':>11} {'ratio':>8}  same count")
    for name, q in p1["queries"].items():
        print(f"{name:<42} {q['victorialogs_s']:>12.3f}s {q['file_store_s']:>10.2f}s "
              f"{q['file_store_s'] / max(q['victorialogs_s'], 1e-6):>7.0f}×  {q['same_answer']}")
    print(f"\nphase 2: {p2['victorialogs_records']:,} records in VictoriaLogs")
    print(f"ingest {p2['ingest_records_per_s']:,.0f} records/s (until searchable); disk {p2['disk_bytes'] / 2**20:.1f} MiB "
          f"= {p2['disk_bytes_per_record']:.1f} bytes/record; RSS {p2['rss_mib']:.0f} MiB (peak {p2['rss_peak_mib']:.0f} MiB)")
    for name, s in p2["queries"].items():
        print(f"  {name:<42} {s:.3f}s")
    for name, s in p2["cli_s"].items():
        print(f"  {name:<45} {s:.3f}s (whole command)")
    print(json.dumps(r))


if __name__ == "__main__":
    sys.exit(main())

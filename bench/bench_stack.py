"""The native stack measured: start, footprint, freshness and ingest knees, in one run.

Brings up a scratch native stack (the same deploy as `make up`, its own state directory,
ports shifted by --port-offset, binaries from the cache), then reports:
  start      `make up`'s deploy to every component healthy (binaries cached): on a fresh state
             directory, and again after a `down` (state kept)
  idle RSS   per component, and the whole stack
  freshness  emit → queryable, p50/p95 over --samples: a span (Jaeger API), a metric
             (Prometheus API), a log record (VictoriaLogs, through the CLI's client)
  knees      telemetrygen traces (5 spans each), then log records, at each of --rates items/s
             for --seconds (bench/stack_load.py): sent, accepted by the collector, stored
             (Jaeger's storage writes; VictoriaLogs' own count), CPU % and peak RSS per
             component and the load average; the knee is the highest rate with zero loss,
             no backlog and the stack's RSS ≤ 1 GiB
  SDK        the SDK's own push rate from one thread, and the loaded RSS
Usage: python bench/bench_stack.py [--port-offset N] [--samples N] [--seconds S] [--rates R,R,…] [--json]
       python bench/bench_stack.py --only start [--rounds N]   (start alone, N rounds of: the deploy and the
                                 whole `python -m vibes_stack up` command, each from a fresh state and after a
                                 down; median and min–max, the 1-minute load beside each figure)
Other processes on the machine share its cores: take figures when `uptime` shows a low load.
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
import uuid
from pathlib import Path
from typing import Any, Callable

import yaml

from vibes_stack import config as stack_config
from vibes_observe.alerting import defaults
from vibes_observe.clients._http import get_json
from vibes_stack import binaries, deploy, paths, supervisor

sys.path.insert(0, str(Path(__file__).resolve().parent))
import stack_load  # noqa: E402  (bench/ is not a package)


def collector_counter(name: str, signal: str) -> str:
    """The collector's own counter, named where the alert rules and dashboards take it from."""
    return name.format(signal=signal) + f'{{job="{defaults.COLLECTOR_JOB}"}}'


COLLECTOR_ACCEPTED_SPANS = collector_counter(defaults.COLLECTOR_ACCEPTED, "spans")
JAEGER_WRITTEN_SPANS = 'otelcol_exporter_sent_spans_total{job="jaeger"}'  # Jaeger's writes into its storage


def collector_sent(signal: str, exporter: str) -> str:
    """Items the collector's ``exporter`` delivered (acknowledged by the backend, each once)."""
    return (defaults.COLLECTOR_SENT.format(signal=signal)
            + f'{{job="{defaults.COLLECTOR_JOB}",exporter="{exporter}"}}')


def _query(url: Callable[[str], str], component: str, path: str, **params: Any) -> Any:
    return get_json(component, url(component), path, params=params)


def _footprint(state: paths.StateLayout, components: list[str]) -> dict[str, float | None]:
    return {c: stack_load.rss_mib(supervisor.read_pid(state.run, c)) for c in components}


def _until(check: Callable[[], bool], timeout: float = 30.0, step: float = 0.02) -> float | None:
    """Seconds until ``check()`` is true (None past ``timeout``)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        try:
            if check():
                return time.monotonic() - t0
        except Exception:  # noqa: BLE001 - the backend may not answer yet
            pass
        time.sleep(step)
    return None


def _log_probe(ports: dict[str, int]) -> Callable[[str], bool]:
    """True once a record whose body holds ``marker`` can be read back the way the CLI does."""
    from vibes_observe.clients.logs_model import LogFilter
    from vibes_observe.clients.victorialogs import VictoriaLogsClient
    client = VictoriaLogsClient(f"http://127.0.0.1:{ports['victorialogs']}", timeout=10)

    def found(marker: str) -> bool:
        now = time.time_ns()
        return bool(client.query(LogFilter(grep=marker), start_ns=now - 600 * 10**9, end_ns=now, limit=5))
    return found


def _prom_sum(url: Callable[[str], str], expr: str) -> float:
    found = _query(url, "prometheus", "/api/v1/query", query=f"sum({expr}) or vector(0)")
    return float(found["data"]["result"][0]["value"][1])


def _pids(state: paths.StateLayout, components: list[str]) -> dict[str, int]:
    return {c: pid for c in components if (pid := supervisor.read_pid(state.run, c)) is not None}


def _knees(url: Callable[[str], str], rates: list[int], seconds: float,
           pids: dict[str, int]) -> dict[str, Any]:
    """The knee for spans (into Jaeger) and for log records (into VictoriaLogs)."""
    tool, _ = binaries.find("telemetrygen")
    if not tool:
        tool = str(binaries.go_install("telemetrygen"))
    endpoint = url("collector_otlp_grpc").removeprefix("http://")
    from vibes_observe.clients.victorialogs import VictoriaLogsClient
    logs = VictoriaLogsClient(url("victorialogs"), timeout=60)
    since = time.time_ns()

    def logs_stored() -> float:
        rows = list(logs.rows("* | count() records", start_ns=since - 3600 * 10**9, end_ns=time.time_ns() + 10**9))
        return float(rows[0]["records"]) if rows else 0.0

    counters = {
        "traces": stack_load.Counters(
            accepted=lambda: _prom_sum(url, COLLECTOR_ACCEPTED_SPANS),
            refused=lambda: _prom_sum(url, collector_counter(defaults.COLLECTOR_REFUSED, "spans")),
            stored=lambda: _prom_sum(url, collector_sent("spans", "otlp_grpc/jaeger")),
            backend=lambda: _prom_sum(url, JAEGER_WRITTEN_SPANS)),
        "logs": stack_load.Counters(
            accepted=lambda: _prom_sum(url, collector_counter(defaults.COLLECTOR_ACCEPTED, "log_records")),
            refused=lambda: _prom_sum(url, collector_counter(defaults.COLLECTOR_REFUSED, "log_records")),
            stored=lambda: _prom_sum(url, collector_sent("log_records", "otlp_http/victorialogs")),
            backend=logs_stored)}
    result = {}
    for signal, unit in (("traces", "spans"), ("logs", "log records")):
        print(f"{unit}/s knee:", file=sys.stderr)
        result[signal] = stack_load.knee(
            lambda rate: stack_load.step(tool, signal, endpoint, rate, seconds, counters[signal], pids),
            rates, lambda line: print(line, file=sys.stderr))
    return result


def _start(prep: deploy.Prepared) -> float:
    """Seconds from `make up`'s deploy to every component healthy."""
    t0 = time.monotonic()
    deploy.apply(prep, "up")
    bad = deploy.wait_all_healthy(prep, timeout=120)
    if bad:
        raise SystemExit(f"not healthy: {bad}")
    return round(time.monotonic() - t0, 2)


def _cli_up(config_file: Path, state_dir: Path) -> float:
    """Wall seconds of the command `make up` runs (`python -m vibes_stack up`: imports, config, render, deploy,
    readiness summary), exit 0 required."""
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "vibes_stack", "--mode", "native", "--config", str(config_file),
                           "--state-dir", str(state_dir), "up"], capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise SystemExit(f"`vibes_stack up` failed:\n{proc.stdout}\n{proc.stderr}")
    return round(time.monotonic() - t0, 2)


def _starts(prep: deploy.Prepared, user: dict[str, Any], state_dir: Path, rounds: int) -> dict[str, Any]:
    """``rounds`` × (fresh state, then after a down), the deploy alone and the whole `vibes_stack up` command;
    each figure with the 1-minute load when it was taken."""
    config_file = state_dir.with_name(state_dir.name + ".yaml")
    config_file.write_text(yaml.safe_dump(user))
    figures: dict[str, list[tuple[float, float]]] = {
        "fresh_state": [], "after_down": [], "cli_up_fresh_state": [], "cli_up_after_down": []}

    def take(kind: str, seconds: float) -> None:
        figures[kind].append((seconds, round(os.getloadavg()[0], 1)))

    try:
        for _ in range(rounds):
            shutil.rmtree(state_dir, ignore_errors=True)
            take("fresh_state", _start(prep))
            deploy.apply(prep, "down")
            take("after_down", _start(prep))
            deploy.apply(prep, "down")
            shutil.rmtree(state_dir, ignore_errors=True)
            take("cli_up_fresh_state", _cli_up(config_file, state_dir))
            deploy.apply(prep, "down")
            take("cli_up_after_down", _cli_up(config_file, state_dir))
            deploy.apply(prep, "down")
    finally:
        config_file.unlink(missing_ok=True)
    return {kind: {"median_s": round(statistics.median(s for s, _ in runs), 2), "min_s": min(s for s, _ in runs),
                   "max_s": max(s for s, _ in runs), "runs_s_load": runs} for kind, runs in figures.items()}


def _pct(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3) if values else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port-offset", type=int, default=26000)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rates", default="5000,10000,15000,20000,25000,30000",
                    help="items/s to try, ascending: spans (traces of 5) and log records")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", choices=("start",), help="measure only this")
    ap.add_argument("--rounds", type=int, default=3, help="--only start: rounds of (fresh state, after down)")
    args = ap.parse_args(argv)

    state_dir = Path(tempfile.mkdtemp(prefix="vibes-bench-stack-"))
    defaults = stack_config.load_defaults()
    user = {"ports": {k: v + args.port_offset for k, v in defaults["ports"].items()},
            "intervals": {"scrape": "1s", "evaluation": "5s"}}
    prep = deploy.prepare("native", state_dir=state_dir, user=user, out=lambda line: None)
    ports = prep.cfg.ports.model_dump()  # by key: the helpers below name ports as strings
    url = lambda key: f"http://127.0.0.1:{ports[key]}"  # noqa: E731
    state = paths.StateLayout(state_dir)
    result: dict[str, Any] = {}
    if args.only == "start":
        try:
            result["start_s"] = _starts(prep, user, state_dir, args.rounds)
        finally:
            deploy.apply(prep, "down")
            shutil.rmtree(state_dir, ignore_errors=True)
        print(json.dumps(result) if args.json else json.dumps(result, indent=2))
        return 0
    try:
        result["start_s"] = {"fresh_state": _start(prep)}
        deploy.apply(prep, "down")
        result["start_s"]["after_down"] = _start(prep)
        components = [c.name for c in prep.plan.ordered()]
        time.sleep(3)
        result["idle_rss_mib"] = _footprint(state, components)

        import vibes_sdk as vibes
        vibes.init(service_name="bench-stack", endpoint=url("collector_otlp_http"), flush_interval=0.2,
                   metric_export_interval=1, system_metrics=False)
        log = vibes.get_logger("bench")
        fresh: dict[str, list[float]] = {"trace": [], "metric": [], "log": []}
        log_found = _log_probe(ports)
        for i in range(args.samples):
            marker = uuid.uuid4().hex[:12]
            t_emit = time.monotonic()
            with vibes.llm_call(model=f"fresh-{marker}", provider="bench") as call:
                call.record_usage(1, 1)
            log.warning("fresh %s", marker, marker=marker)
            tags = json.dumps({"gen_ai.request.model": f"fresh-{marker}"})
            metric = f'vibes_llm_tokens_total{{gen_ai_request_model="fresh-{marker}"}}'
            checks = {"trace": lambda: bool(_query(url, "jaeger_query", "/api/traces", service="bench-stack",
                                                   tags=tags, lookback="1h", limit=5)["data"]),
                      "metric": lambda: bool(_query(url, "prometheus", "/api/v1/query", query=metric)["data"]["result"]),
                      "log": lambda: log_found(marker)}
            while checks and time.monotonic() - t_emit < 30:  # all three from the same emit
                for kind, check in list(checks.items()):
                    try:
                        if check():
                            fresh[kind].append(time.monotonic() - t_emit)
                            del checks[kind]
                    except Exception:  # noqa: BLE001 - not there yet
                        pass
                time.sleep(0.02)
        result["freshness_s"] = {k: {"p50": _pct(v, 0.5), "p95": _pct(v, 0.95)} for k, v in fresh.items()}

        result["knees"] = _knees(url, [int(r) for r in args.rates.split(",")], args.seconds,
                                 _pids(state, components))
        sent = 0
        t0 = time.monotonic()
        while time.monotonic() - t0 < args.seconds:
            with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"bench": "ingest"}) as call:
                call.record_usage(100, 10)
            sent += 1
        push_s = time.monotonic() - t0
        vibes.flush(30)
        result["loaded_rss_mib"] = _footprint(state, components)
        vibes.shutdown(10)
        result["ingest_sdk"] = {"sdk_spans_sent": sent, "seconds": round(push_s, 1),
                                "spans_per_s": round(sent / push_s), "collector_accepted_spans":
                                int(_prom_sum(url, COLLECTOR_ACCEPTED_SPANS))}
    finally:
        deploy.apply(prep, "down")
        shutil.rmtree(state_dir, ignore_errors=True)
    result["load_1m_at_end"] = round(os.getloadavg()[0], 1)
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
        print(_summary(result))
    return 0


def _summary(result: dict[str, Any]) -> str:
    """The figures the README's table shows."""
    lines = [f"start (deploy to all healthy): fresh {result['start_s']['fresh_state']} s, "
             f"after down {result['start_s']['after_down']} s",
             f"idle RSS: {sum(v or 0 for v in result['idle_rss_mib'].values()):.0f} MiB {result['idle_rss_mib']}"]
    for signal, knee in result["knees"].items():
        at = knee["at_knee"]
        lines.append(f"{signal} knee: {knee['knee_per_s']}/s" + (
            f" (sent {at['sent']} = stored {at['stored']}; CPU % {at['cpu_pct']}; peak RSS "
            f"{at['peak_rss_total_mib']} MiB {at['peak_rss_mib']}; load {at['load_1m']})" if at else ""))
    lines.append(f"SDK push: {result['ingest_sdk']['spans_per_s']} spans/s from one thread; loaded RSS "
                 f"{sum(v or 0 for v in result['loaded_rss_mib'].values()):.0f} MiB")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

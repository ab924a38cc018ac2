"""The native stack measured: start, footprint, freshness and span ingest, in one run.

Brings up a scratch native stack (the same deploy as `make up`, its own state directory,
ports shifted by --port-offset, binaries from the cache), then reports:
  start      `make up`'s deploy to every component healthy (binaries cached)
  idle RSS   per component, and the whole stack
  freshness  emit → queryable, p50/p95 over --samples: a span (Jaeger API), a metric
             (Prometheus API), a log record (VictoriaLogs, through the CLI's client)
  ingest     telemetrygen traces (5 spans each) at each of --rates for --seconds: spans
             sent, accepted by the collector, written by Jaeger (sent == stored is the
             zero-loss check) and RSS per component at that rate; then the SDK's own push
             rate from one thread
Usage: python bench/bench_stack.py [--port-offset N] [--samples N] [--seconds S] [--json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, Callable

from vibes_stack import config as stack_config
from vibes_observe.alerting import defaults
from vibes_observe.clients._http import get_json
from vibes_stack import binaries, deploy, paths, supervisor

# the collector's own counter, named where the alert rules and dashboards take it from
COLLECTOR_ACCEPTED_SPANS = (defaults.COLLECTOR_ACCEPTED.format(signal="spans")
                            + f'{{job="{defaults.COLLECTOR_JOB}"}}')


def _query(url: Callable[[str], str], component: str, path: str, **params: Any) -> Any:
    return get_json(component, url(component), path, params=params)


def _rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def _footprint(state: paths.StateLayout, components: list[str]) -> dict[str, float | None]:
    return {c: _rss_mib(supervisor.read_pid(state.run, c)) for c in components}


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


def _telemetrygen_ramp(url: Callable[[str], str], rates: str, seconds: float, state: paths.StateLayout,
                       components: list[str]) -> list[dict[str, Any]]:
    """Traces of 5 spans from telemetrygen at each rate: spans sent vs accepted by the collector
    vs written by Jaeger's storage exporter (both counted by the components' own metrics)."""
    tool, _ = binaries.find("telemetrygen")
    if not tool:
        tool = str(binaries.go_install("telemetrygen"))
    stored = 'otelcol_exporter_sent_spans_total{job="jaeger"}'
    accepted = COLLECTOR_ACCEPTED_SPANS
    rows = []
    for traces_per_s in (int(r) for r in rates.split(",")):
        traces = int(traces_per_s * seconds)
        before = (_prom_sum(url, accepted), _prom_sum(url, stored))
        t0 = time.monotonic()
        subprocess.run([tool, "traces", "--otlp-insecure", "--otlp-endpoint",
                        url("collector_otlp_grpc").removeprefix("http://"), "--workers", "1",
                        "--rate", str(traces_per_s), "--traces", str(traces), "--child-spans", "4",
                        "--service", "bench-telemetrygen"], check=True, capture_output=True, timeout=600)
        pushed_s = time.monotonic() - t0
        rss = _footprint(state, components)
        sent = traces * 5
        _until(lambda: _prom_sum(url, stored) - before[1] >= sent, timeout=60, step=0.5)
        time.sleep(3)  # a last scrape after the queues drained
        rows.append({"target_spans_per_s": traces_per_s * 5, "achieved_spans_per_s": round(sent / pushed_s),
                     "sent": sent, "collector_accepted": int(_prom_sum(url, accepted) - before[0]),
                     "jaeger_stored": int(_prom_sum(url, stored) - before[1]), "rss_mib": rss})
    return rows


def _pct(values: list[float], q: float) -> float | None:
    values = sorted(v for v in values if v is not None)
    return round(values[min(len(values) - 1, int(q * len(values)))], 3) if values else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--port-offset", type=int, default=26000)
    ap.add_argument("--samples", type=int, default=10)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--rates", default="2000,4000,6000", help="telemetrygen traces/s (5 spans each)")
    ap.add_argument("--json", action="store_true")
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
    try:
        t0 = time.monotonic()
        deploy.apply(prep, "up")
        bad = deploy.wait_all_healthy(prep, timeout=120)
        result["start_s"] = round(time.monotonic() - t0, 2)
        if bad:
            raise SystemExit(f"not healthy: {bad}")
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

        result["ingest_telemetrygen"] = _telemetrygen_ramp(url, args.rates, args.seconds, state, components)
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
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

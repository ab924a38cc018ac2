"""Per-call cost WITH OTLP export, on a mocked OpenAI chat completion, side by side in one run.

Each contender runs in its own process (its own OTel globals) and exports over OTLP/HTTP to
the same live receiver (bench/otlp_receiver.py, its own process, decoding and counting
every item). Rounds are interleaved across contenders; each round makes N calls through
the real ``openai`` client (an ``httpx2.MockTransport`` answers), times every call, then
times the flush. Reported: per-call p50 / p99 (µs), overhead over the plain client (p50
minus the plain client's p50 of the same round, median over rounds: load that drifts between
rounds hits both sides of each difference), flush time per call, CPU time per call of the
whole process over the round and its flush (every thread: export work included; steadier than
wall time on a machine others load), and what reached the receiver (spans delivered of those
sent).

  plain          the openai client, no telemetry
  otel-bare      bare OpenTelemetry SDK doing vibes' span + metric work by hand, OTLP export
  official       opentelemetry-instrumentation-openai-v2 on the bare OTel SDK, OTLP export
  openlit        OpenLIT 1.45.0 (its own venv: it needs openai < 3), a local price file
  traceloop      traceloop-sdk 0.62.4, its own venv (left out where pip cannot install it)
  openllmetry    OpenLLMetry's opentelemetry-instrumentation-openai 0.62.4 on the bare OTel SDK, own venv
  vibes          vibes_sdk.llm_call around the call (context, usage, cost, exact counters)
  vibes+official vibes_sdk.init(instrument=["openai"]): the official instrumentor, switched on by vibes

Usage: python bench/bench_export.py [--calls N] [--rounds R] [--only NAME,NAME] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

CONTENDERS = ("plain", "otel-bare", "official", "openlit", "traceloop", "openllmetry", "vibes", "vibes+official")
PEERS_IN_OWN_VENV = ("openlit", "traceloop", "openllmetry")  # see bench/peers.py
HERE = Path(__file__).resolve().parent
RESPONSE = {"id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-2024-08-06",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "hello"}}],
            "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}}
MESSAGES = [{"role": "user", "content": "hello"}]


# ------------------------------------------------------------------ worker side
def _client() -> Any:
    import openai
    from openai import OpenAI
    if int(openai.__version__.split(".")[0]) >= 3:  # openai 3 moved to httpx2
        import httpx2 as http
    else:
        import httpx as http
    transport = http.MockTransport(lambda request: http.Response(200, json=RESPONSE))
    return OpenAI(api_key="bench-key", base_url="http://mock.invalid/v1", max_retries=0,
                  http_client=http.Client(transport=transport))


def _bare_providers(service: str, endpoint: str) -> tuple[Any, Any, Any]:
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create({"service.name": service})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces"),
                                             schedule_delay_millis=2000))
    mp = MeterProvider(resource=resource, metric_readers=[PeriodicExportingMetricReader(
        OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics"), export_interval_millis=10_000)])
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(BatchLogRecordProcessor(OTLPLogExporter(endpoint=f"{endpoint}/v1/logs"),
                                                        schedule_delay_millis=2000))
    return tp, mp, lp


def _setup(name: str, endpoint: str) -> tuple[Callable[[], None], Callable[[], None]]:
    """(one call, flush) for a contender."""
    client = _client()

    def create(**kwargs: Any) -> Any:  # looked up per call: an instrumentor patches the class later
        return client.chat.completions.create(**kwargs)

    def plain() -> None:
        create(model="gpt-4o", messages=MESSAGES)

    if name == "plain":
        return plain, lambda: None
    if name == "openlit":
        import openlit
        from opentelemetry import trace
        prices = Path(tempfile.mkdtemp()) / "pricing.json"  # its default is fetched from the internet at init
        prices.write_text(json.dumps({"chat": {"gpt-4o": {"promptPrice": 0.0025, "completionPrice": 0.01}},
                                      "embeddings": {}, "images": {}, "audio": {}}))
        openlit.init(otlp_endpoint=endpoint, application_name=f"bench-{name}", pricing_json=str(prices),
                     collect_gpu_stats=False)
        return plain, lambda: trace.get_tracer_provider().force_flush()
    if name == "traceloop":
        from opentelemetry import trace
        from traceloop.sdk import Traceloop
        Traceloop.init(app_name=f"bench-{name}", api_endpoint=endpoint, telemetry_enabled=False)
        return plain, lambda: trace.get_tracer_provider().force_flush()
    if name in ("otel-bare", "official", "openllmetry"):
        tp, mp, lp = _bare_providers(f"bench-{name}", endpoint)

        def flush() -> None:
            tp.force_flush(); lp.force_flush(); mp.force_flush()
        if name == "official":
            from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
            OpenAIInstrumentor().instrument(tracer_provider=tp, meter_provider=mp, logger_provider=lp)
            return plain, flush
        if name == "openllmetry":
            from opentelemetry.instrumentation.openai import OpenAIInstrumentor as OpenLLMetryInstrumentor
            OpenLLMetryInstrumentor().instrument(tracer_provider=tp, meter_provider=mp)
            return plain, flush
        from vibes_sdk import names
        from opentelemetry.trace import SpanKind
        tracer, meter = tp.get_tracer("bench"), mp.get_meter("bench")
        tokens = meter.create_histogram(names.TOKEN_USAGE.name, unit="{token}")
        duration = meter.create_histogram(names.OPERATION_DURATION.name, unit="s")
        cost = meter.create_counter(names.COST.name, unit="{USD}")
        labels = {names.GEN_AI_OPERATION_NAME: "chat", names.GEN_AI_PROVIDER_NAME: "openai",
                  names.GEN_AI_REQUEST_MODEL: "gpt-4o"}

        def bare() -> None:
            start = time.perf_counter()
            with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes=labels) as span:
                reply = create(model="gpt-4o", messages=MESSAGES)
                span.set_attributes({names.GEN_AI_USAGE_INPUT_TOKENS: reply.usage.prompt_tokens,
                                     names.GEN_AI_USAGE_OUTPUT_TOKENS: reply.usage.completion_tokens,
                                     names.GEN_AI_RESPONSE_MODEL: reply.model})
            tokens.record(reply.usage.prompt_tokens, {**labels, names.GEN_AI_TOKEN_TYPE: "input"})
            tokens.record(reply.usage.completion_tokens, {**labels, names.GEN_AI_TOKEN_TYPE: "output"})
            duration.record(time.perf_counter() - start, labels)
            cost.add(0.006, labels)
        return bare, flush

    import vibes_sdk as vibes
    vibes.init(service_name=f"bench-{name}", endpoint=endpoint, system_metrics=False,
               instrument=["openai"] if name == "vibes+official" else "none")
    flush = lambda: vibes.flush(30)  # noqa: E731
    session = vibes.session("bench-session", user_id="u-1")
    session.__enter__()
    vibes.agent("planner").__enter__()
    if name == "vibes+official":
        return plain, flush

    def wrapped() -> None:
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            reply = create(model="gpt-4o", messages=MESSAGES)
            call.record_usage(reply.usage.prompt_tokens, reply.usage.completion_tokens)
            call.set_response(model=reply.model, id=reply.id)
    return wrapped, flush


def worker(name: str, endpoint: str) -> None:
    import gc
    call, flush = _setup(name, endpoint)
    for _ in range(200):  # warm up caches, connections, the batch workers
        call()
    flush()
    perf = time.perf_counter
    for line in sys.stdin:
        n = int(line.split()[1])
        gc.collect()
        times = []
        cpu = time.process_time()
        for _ in range(n):
            t0 = perf()
            call()
            times.append(perf() - t0)
        t0 = perf()
        flush()
        flush_s = perf() - t0
        cpu = time.process_time() - cpu
        times.sort()
        print(json.dumps({"p50": times[n // 2], "p99": times[int(n * 0.99)], "mean": sum(times) / n,
                          "flush": flush_s, "cpu": cpu / n}), flush=True)


# ------------------------------------------------------------------ parent side
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=1000, help="calls per round (keep within the 2048 queue)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", help="comma-separated contenders (plain is always run: overheads are over it)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--endpoint", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker, args.endpoint)
        return 0
    sys.path.insert(0, str(HERE))
    import peers

    import otlp_receiver

    receiver, endpoint = otlp_receiver.start()
    workers: dict[str, subprocess.Popen] = {}
    try:
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        chosen = CONTENDERS if not args.only else ("plain", *args.only.split(","))
        for name in [c for c in CONTENDERS if c in chosen]:
            python = peers.python_for(name) if name in PEERS_IN_OWN_VENV else sys.executable
            if python is None:
                continue
            workers[name] = subprocess.Popen([python, __file__, "--worker", name, "--endpoint", endpoint],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                             env=env if name not in PEERS_IN_OWN_VENV else dict(os.environ))
        results: dict[str, list[dict[str, float]]] = {n: [] for n in workers}
        for r in range(args.rounds):  # interleaved: machine noise hits every contender alike
            for name, proc in workers.items():
                proc.stdin.write(f"run {args.calls}\n")
                proc.stdin.flush()
                results[name].append(json.loads(proc.stdout.readline()))
            print(f"round {r + 1}/{args.rounds} done", file=sys.stderr, flush=True)
        time.sleep(1.0)
        from vibes_observe.clients._http import get_json  # the parent only: workers run in peers' venvs
        counts = get_json("bench receiver", endpoint, "/counts")
    finally:
        for proc in workers.values():
            proc.kill()
        receiver.kill()

    sent = (args.rounds * args.calls) + 200
    summary: dict[str, Any] = {"calls_per_round": args.calls, "rounds": args.rounds, "contenders": {}}
    plain = results["plain"]
    for name in results:
        p50 = statistics.median(r["p50"] for r in results[name])
        got = counts.get(f"bench-{name}", {})
        summary["contenders"][name] = {
            "p50_us": round(p50 * 1e6, 1), "p99_us": round(statistics.median(r["p99"] for r in results[name]) * 1e6, 1),
            "p50_min_max_us": [round(min(r["p50"] for r in results[name]) * 1e6, 1),
                               round(max(r["p50"] for r in results[name]) * 1e6, 1)],
            "overhead_us": round(statistics.median(r["p50"] - p["p50"] for r, p in zip(results[name], plain)) * 1e6, 1),
            "cpu_us_per_call": round(statistics.median(r["cpu"] for r in results[name]) * 1e6, 1),
            "cpu_overhead_us": round(statistics.median(r["cpu"] - p["cpu"] for r, p in zip(results[name], plain)) * 1e6,
                                     1),
            "flush_us_per_call": round(statistics.median(r["flush"] for r in results[name]) / args.calls * 1e6, 1),
            "spans_delivered": got.get("spans", 0), "spans_sent": 0 if name == "plain" else sent,
            "log_records": got.get("logs", 0), "metric_points": got.get("points", 0),
            "metric_names": got.get("metrics", []), "span_cost_attributes": got.get("cost_attributes", [])}
    c = summary["contenders"]
    for ours in ("vibes", "vibes+official"):
        for peer in ("official", "openlit", "traceloop", "openllmetry", "otel-bare"):
            for figure, label in (("overhead_us", "overhead"), ("cpu_overhead_us", "cpu_overhead")):
                if peer in c and ours in c and c[peer][figure] > 0 and c[ours][figure] > 0:  # both positive
                    key = f"{ours.replace('+', '_')}_{label}_vs_{peer.replace('-', '_')}"
                    summary[key] = round(c[ours][figure] / c[peer][figure], 2)
    summary["load_average_1m"] = round(os.getloadavg()[0], 2)
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"mocked OpenAI chat call with OTLP export to a live receiver; "
          f"median of {args.rounds} interleaved rounds × {args.calls} calls; "
          f"load average {summary['load_average_1m']} on {os.cpu_count()} cores")
    print(f"{'contender':<16}{'p50 µs':>9}{'p99 µs':>9}{'+p50 µs':>9}{'flush µs/call':>15}"
          f"{'CPU µs/call':>13}{'+CPU µs':>9}{'spans':>14}")
    for name, row in c.items():
        spans = f"{row['spans_delivered']}/{row['spans_sent']}" if name != "plain" else "-"
        print(f"{name:<16}{row['p50_us']:>9.1f}{row['p99_us']:>9.1f}{row['overhead_us']:>9.1f}"
              f"{row['flush_us_per_call']:>15.1f}{row['cpu_us_per_call']:>13.1f}{row['cpu_overhead_us']:>9.1f}"
              f"{spans:>14}")
    for key in [k for k in summary if "_vs_" in k]:
        print(f"{key.replace('_', ' ')}: {summary[key]}×")
    print("exported besides spans (metric names; span attributes carrying a cost):")
    for name, row in c.items():
        if name != "plain":
            print(f"  {name:<15} {len(row['metric_names'])} metrics, cost on spans: "
                  f"{', '.join(row['span_cost_attributes']) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

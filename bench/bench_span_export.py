"""The SDK's span export path, side by side in one run.

  encoding   1,000 real vibes LLM spans (14 attributes) encoded to OTLP/protobuf by the
             OpenTelemetry encoder and by vibes' writer (vibes_sdk/_internal/otlp_wire.py):
             µs per span, best and median of --repeats
  exporter   the same vibes process (bench_export's worker: mocked OpenAI calls, OTLP/HTTP to a
             live receiver) with the OpenTelemetry span exporter and with vibes' own, and the
             plain client, interleaved rounds: CPU per call, paired median overhead over plain

Usage: python bench/bench_span_export.py [--rounds R] [--calls N] [--repeats K]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import otlp_receiver  # noqa: E402  (bench/ is not a package)

# a worker: bench_export's, with the span exporter chosen by VIBES_BENCH_SPAN_EXPORTER
WORKER = """
import os, sys
sys.path.insert(0, {here!r})
if os.environ["VIBES_BENCH_SPAN_EXPORTER"] == "opentelemetry":
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from vibes_sdk._internal import runtime
    runtime.OtlpHttpSpanExporter = lambda endpoint, headers, timeout: OTLPSpanExporter(
        endpoint=endpoint, headers=headers, timeout=timeout)
import bench_export
bench_export.worker(sys.argv[1], sys.argv[2])
"""


def vibes_spans(n: int) -> list:
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import vibes_sdk as vibes
    from vibes_sdk._internal import runtime
    from vibes_sdk.config import load_config

    memory = InMemorySpanExporter()
    runtime.start(load_config(service_name="bench-encoding", traces_exporter="none", metrics_exporter="none",
                              logs_exporter="none", system_metrics=False),
                  span_processors=[SimpleSpanProcessor(memory)])
    with vibes.session("bench-session", user_id="u-1"), vibes.agent("planner"):
        for _ in range(n):
            with vibes.llm_call(model="gpt-4o", provider="openai") as call:
                call.record_usage(1200, 300)
                call.set_response(model="gpt-4o-2024-08-06", id="chatcmpl-1")
    spans = list(memory.get_finished_spans())
    vibes.shutdown(5)
    return spans


def encoding(repeats: int) -> dict[str, dict[str, float]]:
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    from vibes_sdk._internal import otlp_wire

    spans = vibes_spans(1000)
    ways = {"opentelemetry": lambda: encode_spans(spans).SerializePartialToString(),
            "vibes": lambda: otlp_wire.encode_spans(spans)}
    times: dict[str, list[float]] = {name: [] for name in ways}
    for _ in range(repeats):  # interleaved
        for name, encode in ways.items():
            began = time.perf_counter()
            encode()
            times[name].append((time.perf_counter() - began) / len(spans) * 1e6)
    return {name: {"best_us_per_span": round(min(t), 1), "median_us_per_span": round(statistics.median(t), 1)}
            for name, t in times.items()}


def exporter(rounds: int, calls: int) -> dict[str, float]:
    receiver, endpoint = otlp_receiver.start()
    workers: dict[str, subprocess.Popen] = {}
    try:
        code = WORKER.format(here=str(HERE))
        for name, contender, span_exporter in (("plain", "plain", "vibes"),
                                                ("vibes, OpenTelemetry span exporter", "vibes", "opentelemetry"),
                                                ("vibes, its own span exporter", "vibes", "vibes")):
            env = {**os.environ, "PYTHONPATH": str(HERE.parent), "VIBES_BENCH_SPAN_EXPORTER": span_exporter}
            workers[name] = subprocess.Popen([sys.executable, "-c", code, contender, endpoint], stdin=subprocess.PIPE,
                                             stdout=subprocess.PIPE, text=True, env=env)
        results: dict[str, list[dict]] = {name: [] for name in workers}
        for r in range(rounds):
            for name, proc in workers.items():
                proc.stdin.write(f"run {calls}\n")
                proc.stdin.flush()
                results[name].append(json.loads(proc.stdout.readline()))
            print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    finally:
        for proc in workers.values():
            proc.kill()
        receiver.kill()
    plain = results["plain"]
    return {name: round(statistics.median((r["cpu"] - p["cpu"]) * 1e6 for r, p in zip(rows, plain)), 1)
            for name, rows in results.items() if name != "plain"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args(argv)
    encoded = encoding(args.repeats)
    overhead = exporter(args.rounds, args.calls)
    print(f"encoding 1,000 vibes LLM spans, µs per span (best / median of {args.repeats}; load "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    for name, row in encoded.items():
        print(f"  {name:<16}{row['best_us_per_span']:>8.1f} /{row['median_us_per_span']:>7.1f}")
    print(f"CPU overhead per mocked OpenAI call over the plain client (paired medians of {args.rounds} "
          f"interleaved rounds × {args.calls} calls)")
    for name, us in overhead.items():
        print(f"  {name:<38}{us:>8.1f} µs")
    return 0


if __name__ == "__main__":
    sys.exit(main())

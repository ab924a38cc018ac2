"""SDK overhead, side by side in one run: bare OpenTelemetry vs vibes_sdk, plus the disabled path.

Both sides do one LLM call's telemetry into the same kind of sink (batch span
processor → no-op exporter, in-memory metric reader):
  bare  : span with 8 attributes, two token-histogram records, one duration record,
          one cost-counter add
  vibes : ``with llm_call(...) as c: c.record_usage(...); c.set_response(...)`` inside a
          session + agent context (span + usage + cost + metrics + context stamping)
Each round's time includes a flush of both pipelines at its end (spans to the exporter, a
metric collection): work a side leaves to a background thread is counted on that side, not on
whichever side runs next. Prints µs/call for each and the ratio (target ≤ 1.2×), and the
disabled-path cost (< 2 µs).
Usage: python bench/bench_sdk.py [--calls N] [--rounds R] [--json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import time
from typing import Callable, Sequence

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from opentelemetry.trace import SpanKind

import vibes_sdk
from vibes_sdk import names
from vibes_sdk._internal import runtime
from vibes_sdk.config import load_config


class NullExporter(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def bare_setup() -> Callable[[], None]:
    resource = Resource.create({"service.name": "bench-bare"})
    tp = TracerProvider(resource=resource)
    tp.add_span_processor(BatchSpanProcessor(NullExporter()))
    mp = MeterProvider(resource=resource, metric_readers=[InMemoryMetricReader()], views=[
        View(instrument_name=names.TOKEN_USAGE.name,
             aggregation=ExplicitBucketHistogramAggregation(list(names.TOKEN_BUCKETS))),
        View(instrument_name=names.OPERATION_DURATION.name,
             aggregation=ExplicitBucketHistogramAggregation(list(names.DURATION_BUCKETS))),
    ])
    tracer = tp.get_tracer("bench")
    meter = mp.get_meter("bench")
    tokens = meter.create_histogram(names.TOKEN_USAGE.name, unit="{token}")
    duration = meter.create_histogram(names.OPERATION_DURATION.name, unit="s")
    cost = meter.create_counter(names.COST.name, unit="{USD}")
    perf = time.perf_counter

    def one_call() -> None:
        start = perf()
        with tracer.start_as_current_span("chat gpt-4o", kind=SpanKind.CLIENT, attributes={
            names.GEN_AI_OPERATION_NAME: "chat", names.GEN_AI_PROVIDER_NAME: "openai",
            names.GEN_AI_REQUEST_MODEL: "gpt-4o", names.GEN_AI_RESPONSE_MODEL: "gpt-4o-2024-08-06",
            names.GEN_AI_USAGE_INPUT_TOKENS: 1200, names.GEN_AI_USAGE_OUTPUT_TOKENS: 300,
            names.GEN_AI_CONVERSATION_ID: "s-1", names.GEN_AI_AGENT_NAME: "planner",
        }):
            pass
        labels = {names.GEN_AI_OPERATION_NAME: "chat", names.GEN_AI_PROVIDER_NAME: "openai",
                  names.GEN_AI_REQUEST_MODEL: "gpt-4o", names.GEN_AI_AGENT_NAME: "planner"}
        tokens.record(1200, {**labels, names.GEN_AI_TOKEN_TYPE: "input"})
        tokens.record(300, {**labels, names.GEN_AI_TOKEN_TYPE: "output"})
        duration.record(perf() - start, labels)
        cost.add(0.006, labels)

    def flush() -> None:
        tp.force_flush()
        mp.force_flush()

    one_call.flush = flush  # type: ignore[attr-defined]
    return one_call


def vibes_setup() -> Callable[[], None]:
    cfg = load_config(service_name="bench-vibes", traces_exporter="none",
                                metrics_exporter="none", logs_exporter="none", system_metrics=False)
    runtime.start(cfg, span_processors=[BatchSpanProcessor(NullExporter())],
                  metric_readers=[InMemoryMetricReader()])
    llm_call = vibes_sdk.llm_call

    def one_call() -> None:
        with llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(1200, 300)
            call.set_response(model="gpt-4o-2024-08-06")

    one_call.flush = lambda: vibes_sdk.flush(30)  # type: ignore[attr-defined]
    return one_call


def disabled_call() -> None:
    with vibes_sdk.llm_call(model="gpt-4o", provider="openai") as call:
        call.record_usage(1200, 300)
        call.set_response(model="gpt-4o-2024-08-06")


def per_call_us(fn: Callable[[], None], calls: int) -> tuple[float, float]:
    """(wall, CPU of all threads) µs per call over a round of ``calls``, the flush of what the
    round left queued included. CPU time is the steadier figure on a machine others load."""
    flush = getattr(fn, "flush", None)
    gc.collect()
    cpu, start = time.process_time(), time.perf_counter()
    for _ in range(calls):
        fn()
    if flush is not None:
        flush()
    return (time.perf_counter() - start) / calls * 1e6, (time.process_time() - cpu) / calls * 1e6


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    bare = bare_setup()
    vibes = vibes_setup()
    session = vibes_sdk.session("bench-session", user_id="u-1")
    agent = vibes_sdk.agent("planner")
    session.__enter__(); agent.__enter__()
    for fn in (bare, vibes):  # warm up caches and the batch worker
        per_call_us(fn, 500)
    bare_runs, vibes_runs = [], []
    for _ in range(args.rounds):  # interleaved so machine noise hits both alike
        bare_runs.append(per_call_us(bare, args.calls))
        vibes_runs.append(per_call_us(vibes, args.calls))
    agent.__exit__(None, None, None); session.__exit__(None, None, None)
    vibes_sdk.shutdown(5)
    disabled_runs = [per_call_us(disabled_call, args.calls * 10)[0] for _ in range(args.rounds)]

    bare_us, vibes_us = (statistics.median(w for w, _ in runs) for runs in (bare_runs, vibes_runs))
    bare_cpu, vibes_cpu = (statistics.median(c for _, c in runs) for runs in (bare_runs, vibes_runs))
    disabled_us = statistics.median(disabled_runs)
    result = {"bare_otel_us_per_call": round(bare_us, 2), "vibes_sdk_us_per_call": round(vibes_us, 2),
              "ratio": round(vibes_us / bare_us, 3), "bare_otel_cpu_us_per_call": round(bare_cpu, 2),
              "vibes_sdk_cpu_us_per_call": round(vibes_cpu, 2), "cpu_ratio": round(vibes_cpu / bare_cpu, 3),
              "disabled_us_per_call": round(disabled_us, 3), "calls_per_round": args.calls,
              "rounds": args.rounds, "load_average_1m": round(os.getloadavg()[0], 2)}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"median of {args.rounds} interleaved rounds × {args.calls} calls, each round's flush included; "
              f"load average {result['load_average_1m']} on {os.cpu_count()} cores")
        print(f"{'':23}{'wall µs/call':>14}{'CPU µs/call':>13}")
        print(f"bare OpenTelemetry SDK {bare_us:14.2f}{bare_cpu:13.2f}")
        print(f"vibes_sdk llm_call     {vibes_us:14.2f}{vibes_cpu:13.2f}")
        print(f"ratio vibes/bare       {vibes_us / bare_us:13.3f}×{vibes_cpu / bare_cpu:12.3f}×   (target ≤ 1.2×)")
        print(f"disabled path          {disabled_us:14.3f}   (target < 2 µs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Vibes / Models: requests, tokens, latency percentiles, time to first chunk, errors, cache hits."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as db

from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.dashboards._build import (
    COUNT, MODEL_SEL, NOT_EMPTY, PERCENT, SECONDS, STEP, TOKENS, bar_panel, eq, dashboard, prom, sel, step_query,
    timeseries_panel,
)

UID = "vibes-models"
R = "[$__range]"
M = f"{{{{{d.MODEL}}}}}"


def _quantiles(ledger_bucket: str, qs=(0.5, 0.95, 0.99)) -> list:
    ms = sel(*MODEL_SEL)
    return [step_query(promql.increments_quantile(q, ledger_bucket, (d.MODEL,), STEP, ms),
                       f"{M} p{q * 100:g}", ref=f"p{q * 100:g}") for q in qs]


def _per_model_range(ledger: str, **extra: str) -> str:
    return f"sum by ({d.MODEL}) (sum_over_time({ledger}{sel(*MODEL_SEL, **extra)}{R}))"


def build() -> db.Dashboard:
    ms = sel(*MODEL_SEL)
    failed = sel(*MODEL_SEL, **{d.ERROR_TYPE: NOT_EMPTY})
    errors_by_type = (f"sum by ({d.ERROR_TYPE}) (sum_over_time({d.LEDGER_REQUESTS}{failed}{R})) / scalar("
                      f"sum(sum_over_time({d.LEDGER_REQUESTS}{ms}{R})))")
    cache_read = _per_model_range(d.LEDGER_TOKENS, **{d.TOKEN_TYPE: eq("cache_read")})
    input_tokens = _per_model_range(d.LEDGER_TOKENS, **{d.TOKEN_TYPE: eq('input')})
    cache_hit = f"({cache_read} or {input_tokens} * 0) / {input_tokens}"  # no cache reads: 0 %, not absent
    in_out = sel(*MODEL_SEL, **{d.TOKEN_TYPE: '=~"input|output"'})
    total = promql.increments(d.LEDGER_REQUESTS, (d.MODEL,), STEP, ms)
    failed_calls = promql.increments(d.LEDGER_REQUESTS, (d.MODEL,), STEP, failed)
    return (
        dashboard(UID, "Models", "Per-model traffic, tokens, latency, errors and cache efficiency.",
                  time_from="now-6h")
        .with_row(db.Row("Traffic"))
        .with_panel(timeseries_panel("Requests per interval", "GenAI calls in each graph interval, by model.",
                                     COUNT, [prom(f"sum by ({d.MODEL}) (sum_over_time({d.LEDGER_REQUESTS}{ms}"
                                                  f"[$__interval]))", M)], bars=True, stacked=True))
        .with_panel(timeseries_panel(
            "Tokens per interval", "Input (including cached) and output (including reasoning) tokens.", TOKENS,
            [prom(f"sum by ({d.MODEL}, {d.TOKEN_TYPE}) (sum_over_time({d.LEDGER_TOKENS}"
                  f"{in_out}[$__interval]))",
                  f"{M} {{{{{d.TOKEN_TYPE}}}}}")], bars=True, stacked=True))
        .with_panel(bar_panel("Requests (time range)", "GenAI calls per model in the time range.", COUNT,
                              _per_model_range(d.LEDGER_REQUESTS), M))
        .with_panel(bar_panel("Input tokens (time range)", "Input tokens per model, cached included.", TOKENS,
                              _per_model_range(d.LEDGER_TOKENS, **{d.TOKEN_TYPE: eq("input")}), M))
        .with_panel(bar_panel("Output tokens (time range)", "Output tokens per model, reasoning included.",
                              TOKENS, _per_model_range(d.LEDGER_TOKENS, **{d.TOKEN_TYPE: eq("output")}), M))
        .with_row(db.Row("Latency"))
        .with_panel(timeseries_panel("Latency p50 / p95 / p99", "GenAI call duration percentiles by model.",
                                     SECONDS, _quantiles(d.LEDGER_LATENCY_BUCKET)))
        .with_panel(timeseries_panel("Time to first chunk p50 / p95", "Streaming: time until the first chunk.",
                                     SECONDS, _quantiles(d.LEDGER_TTFC_BUCKET, (0.5, 0.95))))
        .with_panel(bar_panel("p95 latency (time range)", "95th percentile call duration per model.", SECONDS,
                              f"histogram_quantile(0.95, sum by (le, {d.MODEL}) (sum_over_time("
                              f"{d.LEDGER_LATENCY_BUCKET}{ms}{R})))", M, w=8))
        .with_row(db.Row("Errors and cache"))
        .with_panel(bar_panel("Error rate by error type (time range)", "Share of all selected calls that "
                              "failed, per error.type.", PERCENT, errors_by_type, f"{{{{{d.ERROR_TYPE}}}}}"))
        .with_panel(timeseries_panel(
            "Error rate by model", "Failed share of calls (0 when a model has no failures).", PERCENT,
            [step_query(f"({failed_calls} or {total} * 0) / {total}", M)],
            w=8))
        .with_panel(bar_panel("Cache hit rate (time range)", "cache_read tokens / input tokens per model.",
                              PERCENT, cache_hit, M))
    )

"""Exporter construction and drop accounting (``vibes.sdk.dropped`` by signal and reason)."""

from __future__ import annotations

from typing import Any, Sequence

from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from vibes_sdk._internal import guard


class CountingSpanExporter(SpanExporter):
    """Forwards to `inner`; a failed or raising export counts its spans as dropped."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("span export", exc, "traces")
            result = SpanExportResult.FAILURE
        if result is not SpanExportResult.SUCCESS:
            guard.count_drop("traces", "export_failed", len(spans))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class CountingLogExporter:
    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def export(self, batch: Sequence[Any]) -> Any:
        from opentelemetry.sdk._logs.export import LogRecordExportResult
        try:
            result = self._inner.export(batch)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("log export", exc, "logs")
            result = LogRecordExportResult.FAILURE
        if result is not LogRecordExportResult.SUCCESS:
            guard.count_drop("logs", "export_failed", len(batch))
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))


class CountingMetricExporter(MetricExporter):
    def __init__(self, inner: MetricExporter) -> None:
        super().__init__(preferred_temporality=inner._preferred_temporality,
                         preferred_aggregation=inner._preferred_aggregation)
        self._inner = inner

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("metric export", exc, "metrics")
            result = MetricExportResult.FAILURE
        if result is not MetricExportResult.SUCCESS:
            points = sum(len(m.data.data_points) for rm in metrics_data.resource_metrics
                         for sm in rm.scope_metrics for m in sm.metrics)
            guard.count_drop("metrics", "export_failed", points)
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis)


class _DropCountingProcessorMetrics:
    """Wraps the batch processor's self-metrics object to see queue-full drops."""

    def __init__(self, inner: Any, signal: str) -> None:
        self._inner = inner
        self._signal = signal

    def drop_items(self, count: int, reason: str | None = None, *args: Any, **kwargs: Any) -> None:
        guard.count_drop(self._signal, reason or "queue_full", count)
        if reason is None:
            self._inner.drop_items(count, *args, **kwargs)
        else:
            self._inner.drop_items(count, reason, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def count_queue_drops(batch_processor: Any, signal: str) -> None:
    """Hook queue-full drops of an OTel Batch*Processor (its queue drops the oldest item)."""
    try:
        inner = batch_processor._batch_processor
        inner._metrics = _DropCountingProcessorMetrics(inner._metrics, signal)
    except AttributeError as exc:  # a future SDK moved it: drops still happen, uncounted
        guard.suppressed("count_queue_drops", exc, signal)

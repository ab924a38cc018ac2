"""Exporter wrappers: drop accounting (``vibes.sdk.dropped`` by signal and reason), request
size limits, and isolation of values that cannot be encoded."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any, Callable, Sequence

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk._logs.export import LogRecordExportResult
from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult, MetricsData
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from vibes_sdk._internal import guard, otlp_wire
from vibes_sdk._internal.bounds import QueueBudget, chunks, log_size, span_size


def _encodes(serialize: Callable[[Any], bytes], batch: Any) -> bool:
    try:
        serialize(batch)
        return True
    except Exception:  # noqa: BLE001 - a value protobuf refuses (range, bad UTF-8, ...)
        return False


def _without_unencodable(items: Sequence[Any], serialize: Callable[[Any], bytes]) -> list[Any]:
    """``items`` less those that cannot be encoded, found by bisection (log2 n encodes)."""
    if _encodes(serialize, items):
        return list(items)
    if len(items) == 1:
        return []
    mid = len(items) // 2
    return _without_unencodable(items[:mid], serialize) + _without_unencodable(items[mid:], serialize)


class _CountingExporter:
    """Sends a batch in requests under ``max_request_bytes``; a failed request counts its
    items as dropped; items that cannot be encoded are dropped alone, never their batch.
    Gives the queue budget back for every batch it is handed (whatever happens to it)."""

    signal = ""
    _success: Any = None

    def __init__(self, inner: Any, budget: QueueBudget | None = None,
                 max_request_bytes: int = 4 * 1024 * 1024) -> None:
        self._inner = inner
        self._budget = budget
        self._max_request_bytes = max_request_bytes
        # items of the request being sent (or retried) now: no longer in the queue budget,
        # so a timed-out shutdown counts them here (see abandon_in_flight)
        self._in_flight = 0
        self._lock = threading.Lock()

    @staticmethod
    def _size(item: Any) -> int:
        raise NotImplementedError

    @staticmethod
    def _serialize(batch: Any) -> bytes:
        raise NotImplementedError

    def disarm(self) -> None:
        """After fork, in the child: the parent's exporter (and its connections) is never used."""
        self._inner = None

    def abandon_in_flight(self, reason: str) -> None:
        """A timed-out shutdown: the request still being sent or retried will not be waited
        for; count its items as dropped (``_send`` then counts nothing more for them)."""
        with self._lock:
            left, self._in_flight = self._in_flight, 0
        guard.count_drop(self.signal, reason, left)

    def export(self, batch: Sequence[Any]) -> Any:
        sizes = [self._size(item) for item in batch]
        if self._budget is not None:
            self._budget.release(len(batch), sum(sizes))
        ok = True
        for chunk in chunks(batch, sizes, self._max_request_bytes):
            ok = self._send(chunk) and ok
        return self._success if ok else self._failure

    def _send(self, chunk: Sequence[Any]) -> bool:
        inner = self._inner
        if inner is None:
            return True
        with self._lock:
            self._in_flight += len(chunk)
        try:
            return self._send_counted(inner, chunk)
        finally:
            with self._lock:
                self._in_flight = max(0, self._in_flight - len(chunk))

    def _send_counted(self, inner: Any, chunk: Sequence[Any]) -> bool:
        try:
            if inner.export(chunk) is self._success:
                return True
        except Exception as exc:  # noqa: BLE001
            guard.suppressed(f"{self.signal} export", exc, self.signal)
        if not _encodes(self._serialize, chunk):
            good = _without_unencodable(chunk, self._serialize)
            guard.count_drop(self.signal, "unencodable", len(chunk) - len(good))
            if not good:
                return True
            try:
                if inner.export(good) is self._success:
                    return True
            except Exception as exc:  # noqa: BLE001
                guard.suppressed(f"{self.signal} export", exc, self.signal)
            chunk = good
        if self._inner is None:  # disarmed meanwhile (shutdown timed out): already counted
            return True
        guard.count_drop(self.signal, "export_failed", len(chunk))
        return False

    def shutdown(self) -> None:
        if self._inner is not None:
            self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True if self._inner is None else bool(self._inner.force_flush(timeout_millis))


class CountingSpanExporter(_CountingExporter, SpanExporter):
    signal = "traces"
    _success = SpanExportResult.SUCCESS
    _failure = SpanExportResult.FAILURE
    _size = staticmethod(span_size)
    _serialize = staticmethod(otlp_wire.encode_spans)


class CountingLogExporter(_CountingExporter):
    signal = "logs"
    _success = LogRecordExportResult.SUCCESS
    _failure = LogRecordExportResult.FAILURE
    _size = staticmethod(log_size)
    _serialize = staticmethod(lambda batch: encode_logs(batch).SerializePartialToString())


def _serialize_metrics(data: MetricsData) -> bytes:
    return encode_metrics(data).SerializePartialToString()


def _points(data: MetricsData) -> list[tuple[int, int, int, Any]]:
    return [(r, s, m, p) for r, rm in enumerate(data.resource_metrics)
            for s, sm in enumerate(rm.scope_metrics) for m, metric in enumerate(sm.metrics)
            for p in metric.data.data_points]


def _subset(data: MetricsData, keep: Sequence[tuple[int, int, int, Any]]) -> MetricsData:
    """``data`` with only the data points in ``keep`` (metrics left empty are dropped)."""
    chosen: dict[tuple[int, int, int], list[Any]] = {}
    for r, s, m, point in keep:
        chosen.setdefault((r, s, m), []).append(point)
    resources = []
    for r, rm in enumerate(data.resource_metrics):
        scopes = []
        for s, sm in enumerate(rm.scope_metrics):
            metrics = [replace(metric, data=replace(metric.data, data_points=chosen[(r, s, m)]))
                       for m, metric in enumerate(sm.metrics) if (r, s, m) in chosen]
            if metrics:
                scopes.append(replace(sm, metrics=metrics))
        if scopes:
            resources.append(replace(rm, scope_metrics=scopes))
    return MetricsData(resource_metrics=resources)


class CountingMetricExporter(MetricExporter):
    """A failed export counts its points as dropped; points that cannot be encoded (a
    foreign counter past the 64-bit range, a label with a lone surrogate) are left out
    alone, so ``vibes.sdk.dropped`` and every other point still go out."""

    def __init__(self, inner: MetricExporter) -> None:
        super().__init__(preferred_temporality=inner._preferred_temporality,
                         preferred_aggregation=inner._preferred_aggregation)
        self._inner: MetricExporter | None = inner

    def disarm(self) -> None:
        self._inner = None

    def abandon_in_flight(self, reason: str) -> None:
        """Nothing to add: an export that fails or times out counts its own points (export)."""

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs: Any) -> MetricExportResult:
        if self._inner is None:
            return MetricExportResult.SUCCESS
        if self._send(metrics_data, timeout_millis, **kwargs):
            return MetricExportResult.SUCCESS
        if not _encodes(_serialize_metrics, metrics_data):
            points = _points(metrics_data)
            good = _without_unencodable(points, lambda keep: _serialize_metrics(_subset(metrics_data, keep)))
            guard.count_drop("metrics", "unencodable", len(points) - len(good))
            metrics_data = _subset(metrics_data, good)
            if not good or self._send(metrics_data, timeout_millis, **kwargs):
                return MetricExportResult.SUCCESS
        guard.count_drop("metrics", "export_failed", len(_points(metrics_data)))
        return MetricExportResult.FAILURE

    def _send(self, metrics_data: MetricsData, timeout_millis: float, **kwargs: Any) -> bool:
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("metric export", exc, "metrics")
            return False
        return result is MetricExportResult.SUCCESS

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return True if self._inner is None else self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs: Any) -> None:
        if self._inner is not None:
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

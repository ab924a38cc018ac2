"""Queues bounded in items AND bytes, and export requests kept under a size limit.

The OTel batch processors bound their queues by item count only: 400 log records of
1 MB each would hold 400 MB. A :class:`QueueBudget` sits in front of each batch
processor (admits an item only while both bounds hold; refusals are counted as drops)
and the exporter gives the budget back when a batch leaves. Sizes are estimates of
the encoded size, computed the same way on the way in and on the way out.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator, Sequence

from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from vibes_sdk._internal import guard, sanitize

_SCALAR = 8  # bytes counted for a number or a bool


def _value_size(value: Any) -> int:
    kind = type(value)
    if kind is str:
        return len(value)
    if kind in (list, tuple):
        return sum(len(v) if type(v) is str else _SCALAR for v in value)
    if kind is dict:
        return sum(len(k) + _value_size(v) for k, v in value.items())
    if kind is bytes:
        return len(value)
    return _SCALAR


def plain_attributes(attrs: Any) -> Any:
    """A span's attributes as a mapping cheap to walk: they are a BoundedAttributes (behind a
    read-only proxy), whose items() walks key by key in Python; its public copy() is one C-level
    dict copy."""
    return attrs.copy() if hasattr(attrs, "copy") else attrs


def _attrs_size(attrs: Any) -> int:
    size = 0
    if attrs:
        for key, value in plain_attributes(attrs).items():  # a plain loop: this runs for every span ended
            size += len(key) + (len(value) if type(value) is str else _value_size(value))
    return size


def span_size(span: ReadableSpan) -> int:
    size = 64 + len(span.name) + _attrs_size(span.attributes)
    for event in span.events:
        size += 16 + len(event.name) + _attrs_size(event.attributes)
    for link in span.links:
        size += 32 + _attrs_size(link.attributes)
    return size


def log_size(record: Any) -> int:
    log = getattr(record, "log_record", record)
    return 64 + _value_size(log.body) + _attrs_size(log.attributes)


class QueueBudget:
    """Items and estimated bytes waiting for export, with both upper bounds."""

    def __init__(self, signal: str, max_items: int, max_bytes: int) -> None:
        self.signal = signal
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.items = 0
        self.bytes = 0
        self._lock = threading.Lock()

    def admit(self, size: int) -> bool:
        with self._lock:
            if self.items >= self.max_items:
                reason = "queue_full"
            elif self.bytes + size > self.max_bytes:
                reason = "queue_bytes"
            else:
                self.items += 1
                self.bytes += size
                return True
        guard.count_drop(self.signal, reason)
        return False

    def release(self, items: int, size: int) -> None:
        with self._lock:
            self.items = max(0, self.items - items)
            self.bytes = max(0, self.bytes - size)

    def abandon(self, reason: str) -> None:
        """Count what is still queued as dropped (a shutdown that ran out of time)."""
        with self._lock:
            left, self.items, self.bytes = self.items, 0, 0
        guard.count_drop(self.signal, reason, left)

    def after_fork(self) -> None:
        self._lock = threading.Lock()
        self.items = self.bytes = 0


def chunks(items: Sequence[Any], sizes: Sequence[int], max_bytes: int) -> Iterator[Sequence[Any]]:
    """Consecutive slices of ``items`` each at most ``max_bytes`` (a lone larger item alone)."""
    start, total = 0, 0
    for i, size in enumerate(sizes):
        if i > start and total + size > max_bytes:
            yield items[start:i]
            start, total = i, 0
        total += size
    if start < len(items):
        yield items[start:]


class BoundedSpanProcessor(SpanProcessor):
    """Admits ended spans into ``inner`` (a batch processor) only within the budget."""

    def __init__(self, inner: SpanProcessor, budget: QueueBudget) -> None:
        self._inner = inner
        self.budget = budget

    def on_start(self, span: Span, parent_context: Any = None) -> None:
        self._inner.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is None or not span.context.trace_flags.sampled:
            return  # the batch processor would not export it either
        if self.budget.admit(span_size(span)):
            self._inner.on_end(span)

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class BoundedLogProcessor:
    """Admits log records into ``inner`` within the budget, body cut to ``max_body`` chars."""

    def __init__(self, inner: Any, budget: QueueBudget, max_body: int) -> None:
        self._inner = inner
        self.budget = budget
        self._max_body = max_body

    def on_emit(self, record: Any) -> None:
        log = getattr(record, "log_record", record)
        body = log.body
        if type(body) is str:
            if len(body) > self._max_body:
                log.body = sanitize.clean_str(body[: self._max_body]) + "…[truncated]"
            elif not body.isascii():
                log.body = sanitize.clean_str(body)
        elif body is not None and not isinstance(body, (bool, int, float)) and _value_size(body) > self._max_body:
            log.body = sanitize.describe(body)[: self._max_body] + "…[truncated]"
        if self.budget.admit(log_size(record)):
            self._inner.on_emit(record)

    # the OTel SDK has called this hook both ways
    emit = on_emit

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return bool(self._inner.force_flush(timeout_millis))

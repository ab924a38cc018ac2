"""Histogram records taken off the host's call path, recorded on another thread.

The OpenTelemetry SDK's ``Histogram.record`` cleans, hashes and aggregates its attributes on
the caller's thread: about 40 % of an LLM call's telemetry cost (three records per call).
Histograms wrapped in :class:`DeferredHistogram` cost the caller one bounded append; the
records reach the real histogram, unchanged (value, attributes, the caller's context for
exemplars), from :meth:`RecordQueue.drain`, which runs

* at every collection, before the SDK reads its synchronous instruments (the SDK runs the
  observable callbacks first; ``instruments.CumulativeCounter`` drains here first), so no
  reader — periodic, in-memory, ``force_flush``, shutdown — misses a record made before it;
* on the drain thread every ``interval`` seconds, and as soon as ``wake_at`` records wait,
  so the queue stays short between collections.

Bounded: a record that finds ``limit`` records waiting is dropped and counted
(``vibes.sdk.dropped{signal="metrics", reason="queue_full"}``). A record the real histogram
refuses (a foreign instrumentation's garbage value) is dropped alone and counted: it never
reaches the host's thread.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any, Callable, Mapping

from opentelemetry import context as otel_context

from vibes_sdk._internal import guard

_current_context = otel_context.get_current


class RecordQueue:
    def __init__(self, limit: int = 65536, wake_at: int = 4096, interval: float = 1.0) -> None:
        self._items: deque[tuple[Callable[..., Any], Any, Any, Any]] = deque()
        self._limit = limit
        self._wake_at = wake_at
        self._interval = interval
        self._drain_lock = threading.Lock()  # one drainer at a time: a collection sees every record before it
        self._wake = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="vibes-sdk-metrics", daemon=True)
        self._thread.start()

    def put(self, record: Callable[..., Any], amount: Any, attributes: Any, context: Any = None) -> None:
        """``record(amount, attributes, context)`` later; ``context`` defaults to the caller's current one
        (taken now, on the caller's thread, so exemplars still point at the caller's span)."""
        items = self._items
        waiting = len(items)
        if waiting >= self._limit:
            guard.count_drop("metrics", "queue_full")
            return
        items.append((record, amount, attributes, _current_context() if context is None else context))
        if waiting == self._wake_at:
            self._wake.set()

    def drain(self) -> None:
        """Record everything waiting into the real histograms (any thread, never raises)."""
        items = self._items
        with self._drain_lock:
            # what waits now, not what keeps coming: a collection waiting on this lock is never starved
            for _ in range(len(items)):
                record, amount, attributes, context = items.popleft()
                try:
                    record(amount, attributes, context)
                except Exception as exc:  # noqa: BLE001 - a refused measurement is dropped alone
                    guard.suppressed("deferred histogram record", exc, "metrics")

    def close(self) -> None:
        """Stop the drain thread (what waits is drained by the provider's last collection)."""
        self._closed = True
        self._wake.set()

    def _run(self) -> None:
        while not self._closed:
            self._wake.wait(self._interval)
            self._wake.clear()
            self.drain()


class DeferredHistogram:
    """A histogram whose records go through a :class:`RecordQueue` (same ``record`` signature)."""

    __slots__ = ("_record", "_queue", "name")

    def __init__(self, histogram: Any, queue: RecordQueue) -> None:
        self._record = histogram.record
        self._queue = queue
        self.name = getattr(histogram, "name", "")

    def record(self, amount: Any, attributes: Mapping[str, Any] | None = None, context: Any = None) -> None:
        self._queue.put(self._record, amount, attributes, context)

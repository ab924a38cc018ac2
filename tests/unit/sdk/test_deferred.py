"""Histogram records off the host's call path (vibes_sdk/_internal/deferred.py)."""

from __future__ import annotations

import threading
import time

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import guard
from vibes_sdk._internal.deferred import DeferredHistogram, RecordQueue


class Histogram:
    """Stands in for the SDK's histogram: remembers each record and the thread it ran on."""

    name = "test.histogram"

    def __init__(self, refuse: object = None) -> None:
        self.records: list[tuple[int, object, object]] = []
        self._refuse = refuse

    def record(self, amount: object, attributes: object = None, context: object = None) -> None:
        if amount == self._refuse:
            raise TypeError("refused")
        self.records.append((threading.get_ident(), amount, attributes))


def wait_for(predicate, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()


def test_records_reach_the_histogram_off_the_callers_thread():
    queue = RecordQueue(wake_at=3, interval=3600)
    hist = Histogram()
    deferred = DeferredHistogram(hist, queue)
    try:
        for i in range(5):
            deferred.record(i, {"k": "v"})
        assert wait_for(lambda: len(hist.records) == 5)  # the drain thread, woken at `wake_at`
        assert [amount for _, amount, _ in hist.records] == list(range(5))
        assert all(attrs == {"k": "v"} for _, _, attrs in hist.records)
        assert threading.get_ident() not in {thread for thread, _, _ in hist.records}
    finally:
        queue.close()


def test_a_full_queue_drops_and_counts_never_raises():
    queue = RecordQueue(limit=4, wake_at=10**9, interval=3600)
    hist = Histogram()
    deferred = DeferredHistogram(hist, queue)
    before = guard.DROPS.get(("metrics", "queue_full"), 0)
    try:
        for i in range(10):
            deferred.record(i)
        queue.drain()
        assert [amount for _, amount, _ in hist.records] == [0, 1, 2, 3]
        assert guard.DROPS.get(("metrics", "queue_full"), 0) - before == 6
    finally:
        queue.close()


def test_a_refused_record_is_dropped_alone_and_counted():
    queue = RecordQueue(wake_at=10**9, interval=3600)
    hist = Histogram(refuse="lots")
    deferred = DeferredHistogram(hist, queue)
    before = guard.DROPS.get(("metrics", "sdk_error"), 0)
    try:
        for amount in (1, "lots", 2):
            deferred.record(amount)
        queue.drain()
        assert [amount for _, amount, _ in hist.records] == [1, 2]
        assert guard.DROPS.get(("metrics", "sdk_error"), 0) - before == 1
    finally:
        queue.close()


def test_every_collection_sees_the_records_made_before_it(sdk):
    """No drain-thread wake-up needed: a reader's collection drains first."""
    for _ in range(3):
        with vibes.llm_call(model="gpt-4o", provider="openai") as call:
            call.record_usage(100, 10)
    assert sdk.hist_count(names.OPERATION_DURATION.name) == 3
    assert sdk.hist_count(names.TOKEN_USAGE.name) == 6
    with vibes.llm_call(model="gpt-4o", provider="openai") as call:
        call.record_usage(100, 10)
    assert sdk.hist_count(names.OPERATION_DURATION.name) == 4

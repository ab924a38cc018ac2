"""Instruments and Views built from names.INSTRUMENTS (units, buckets, label sets)."""

from __future__ import annotations

import threading
from typing import Any, Callable, Iterable, Mapping

from opentelemetry.metrics import CallbackOptions, Meter, Observation
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View

from vibes_sdk import names
from vibes_sdk._internal import guard
from vibes_sdk._internal.deferred import DeferredHistogram, RecordQueue

_INT64_MAX = 2**63 - 1

# attribute name on Instruments -> names.Instrument
_FIELDS = {
    "token_usage": names.TOKEN_USAGE, "op_duration": names.OPERATION_DURATION,
    "ttfc": names.TIME_TO_FIRST_CHUNK, "tokens": names.TOKENS, "cost": names.COST,
    "unpriced": names.UNPRICED_REQUESTS, "agent_active": names.AGENT_ACTIVE,
    "agent_spawned": names.AGENT_SPAWNED, "task_duration": names.AGENT_TASK_DURATION,
    "tool_duration": names.TOOL_DURATION, "task_inference_calls": names.TASK_INFERENCE_CALLS,
    "task_tool_calls": names.TASK_TOOL_CALLS, "session_active": names.SESSION_ACTIVE,
    "session_duration": names.SESSION_DURATION, "session_events": names.SESSION_EVENTS,
    "session_messages": names.SESSION_MESSAGES, "swarm_active": names.SWARM_ACTIVE,
    "swarm_coordination": names.SWARM_COORDINATION_DURATION,
    "swarm_utilization": names.SWARM_AGENT_UTILIZATION, "dropped": names.SDK_DROPPED,
}
assert set(_FIELDS.values()) == set(names.INSTRUMENTS), "every instrument in names.INSTRUMENTS is created"


# Counters hit on every LLM call: aggregated in-process, reported by an ObservableCounter.
_CUMULATIVE = {names.TOKENS.name, names.COST.name, names.UNPRICED_REQUESTS.name, names.SDK_DROPPED.name}


class LabelSet(dict):
    """A metric label dict built once and reused: its counter key is computed here, not per add."""

    __slots__ = ("key",)

    def __init__(self, labels: Mapping[str, Any]) -> None:
        super().__init__(labels)
        self.key = tuple(self.items())


class CumulativeCounter:
    """An exact monotonic counter summed here and reported as cumulative observations.

    Same exported data as a synchronous counter, at a fraction of the per-add cost
    (a dict update instead of the SDK's measurement pipeline): the hot path of every
    LLM call adds tokens and cost. Label sets are bounded by design (names.py).
    """

    def __init__(self, meter: Meter, inst: names.Instrument,
                 before_observe: Callable[[], None] | None = None) -> None:
        self._totals: dict[tuple[Any, ...], list[Any]] = {}
        self._lock = threading.Lock()
        self._before_observe = before_observe
        meter.create_observable_counter(inst.name, callbacks=[self._observe], unit=inst.unit,
                                        description=inst.description)

    def add(self, amount: float, attributes: Mapping[str, Any] | None = None) -> None:
        if not amount > 0:
            return
        if type(attributes) is LabelSet:
            key = attributes.key  # cached label sets (every LLM call): no tuple per add
        else:
            key = tuple(attributes.items()) if attributes else ()
        with self._lock:
            entry = self._totals.get(key)
            if entry is None:
                self._totals[key] = [dict(attributes or {}), min(amount, _INT64_MAX)]
                return
            entry[1] += amount
            if entry[1] <= _INT64_MAX:
                return
            # a running total OTLP's int64 cannot carry: held at the limit, and said so
            entry[1] = _INT64_MAX if type(entry[1]) is int else float(_INT64_MAX)
        guard.count_drop("metrics", "value_clamped")  # outside the lock: the drop counter is one of these

    def _observe(self, options: CallbackOptions) -> Iterable[Observation]:
        if self._before_observe is not None:
            self._before_observe()
        with self._lock:
            snapshot = [(attrs, value) for attrs, value in self._totals.values()]
        return [Observation(value, attrs) for attrs, value in snapshot]

    def after_fork(self) -> None:
        """A forked child starts from zero: the parent reports what it counted."""
        self._lock = threading.Lock()
        self._totals = {}


def _create(meter: Meter, inst: names.Instrument, records: RecordQueue) -> Any:
    kw = {"name": inst.name, "unit": inst.unit, "description": inst.description}
    if inst.kind == "counter" and inst.name in _CUMULATIVE:
        # every collection runs this callback before it reads the histograms: they get what waits
        return CumulativeCounter(meter, inst, before_observe=records.drain)
    if inst.kind == "counter":
        return meter.create_counter(**kw)
    if inst.kind == "updown_counter":
        return meter.create_up_down_counter(**kw)
    if inst.kind == "histogram":
        return DeferredHistogram(meter.create_histogram(**kw), records)
    if inst.kind == "gauge":
        return meter.create_gauge(**kw)
    raise ValueError(f"unknown instrument kind {inst.kind!r} for {inst.name}")


class Instruments:
    token_usage: Any; op_duration: Any; ttfc: Any; tokens: Any; cost: Any; unpriced: Any
    agent_active: Any; agent_spawned: Any; task_duration: Any; tool_duration: Any
    task_inference_calls: Any; task_tool_calls: Any; session_active: Any
    session_duration: Any; session_events: Any; session_messages: Any; swarm_active: Any
    swarm_coordination: Any; swarm_utilization: Any; dropped: Any

    def __init__(self, meter: Meter) -> None:
        self.records = RecordQueue()  # the histograms' records, off the call path (deferred.py)
        for attr, inst in _FIELDS.items():
            setattr(self, attr, _create(meter, inst, self.records))

    def after_fork(self) -> None:
        for attr in _FIELDS:
            value = getattr(self, attr)
            if isinstance(value, CumulativeCounter):
                value.after_fork()


# The SDK's own records of these carry only label dicts built from names.MODEL_LABELS
# (+ token type, error type), all declared labels: filtering them is a no-op, and it is
# a dict copy on each of the three records of every LLM call.
_PREBOUNDED = {names.TOKEN_USAGE.name, names.OPERATION_DURATION.name, names.TIME_TO_FIRST_CHUNK.name}
SDK_METER = "vibes_sdk"  # the meter (and tracer) scope name of the SDK's own instruments


class _ForeignOnlyView(View):
    """A View that leaves the SDK's own meter alone (another View serves that one)."""

    def _match(self, instrument: Any) -> bool:
        scope = getattr(instrument, "instrumentation_scope", None)
        if scope is not None and scope.name == SDK_METER:
            return False
        return super()._match(instrument)


def views() -> list[View]:
    """Buckets from names.py, and only the declared labels survive (bounded cardinality).

    The views match by instrument name whatever the meter, so semconv histograms that a
    foreign instrumentation records get the same buckets and label set. For the hot
    semconv histograms the SDK's own meter gets a View without the label filter (its
    labels are declared ones by construction) and foreign meters get the filtering one.
    """
    out: list[View] = []
    for inst in names.INSTRUMENTS:
        kw: dict[str, Any] = {"instrument_name": inst.name, "attribute_keys": set(inst.labels)}
        if inst.kind == "histogram" and inst.buckets:
            kw["aggregation"] = ExplicitBucketHistogramAggregation(boundaries=list(inst.buckets))
        if inst.name in _PREBOUNDED:
            own = {k: v for k, v in kw.items() if k != "attribute_keys"}
            out.append(View(meter_name=SDK_METER, **own))
            out.append(_ForeignOnlyView(**kw))
        else:
            out.append(View(**kw))
    return out

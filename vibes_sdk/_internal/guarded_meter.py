"""A MeterProvider for foreign instrumentations whose instruments never raise.

The OpenTelemetry SDK's ``Histogram.record("lots")`` raises TypeError, and an
instrumentation that records a provider's garbage usage field would raise that into the
host's model call (seen with opentelemetry-instrumentation-openai-v2 2.4b0). The
instrumentations vibes enables get this provider: a bad measurement is dropped and counted
in ``vibes.sdk.dropped{signal="metrics", reason="sdk_error"}``, the call goes on.

Their histograms' records of plain numbers also leave the host's call path, like the SDK's
own (deferred.py): the attributes are copied (the caller may reuse its dict), the rest is
recorded on another thread. Anything else is recorded at once, inside the guard.
"""

from __future__ import annotations

from typing import Any, Callable

from opentelemetry.metrics import Meter, MeterProvider

from vibes_sdk._internal import guard
from vibes_sdk._internal.deferred import RecordQueue

_MEASURE = ("add", "record", "set")


def _guarded(measure: Callable[..., Any], where: str) -> Callable[..., None]:
    def guarded(*args: Any, **kwargs: Any) -> None:
        try:
            measure(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - never into the host's call
            guard.suppressed(where, exc, "metrics")
    return guarded


def _deferred(record: Callable[..., Any], queue: RecordQueue, where: str) -> Callable[..., None]:
    at_once = _guarded(record, where)

    def deferred(amount: Any, attributes: Any = None, context: Any = None, *rest: Any, **kwargs: Any) -> None:
        kind = type(amount)
        if (kind is int or kind is float) and not rest and not kwargs and (attributes is None or type(attributes) is dict):
            queue.put(record, amount, dict(attributes) if attributes else attributes, context)
        else:  # anything unusual: the SDK judges it now, inside the guard
            at_once(amount, attributes, context, *rest, **kwargs)
    return deferred


class _GuardedInstrument:
    """The instrument's own measuring methods, wrapped once (not per call)."""

    def __init__(self, inner: Any, where: str, queue: RecordQueue | None) -> None:
        self._inner = inner
        for name in _MEASURE:
            measure = getattr(inner, name, None)
            if measure is None:
                continue
            if name == "record" and queue is not None:
                setattr(self, name, _deferred(measure, queue, where))
            else:
                setattr(self, name, _guarded(measure, where))

    def __getattr__(self, name: str) -> Any:  # name, unit, ...: the instrument's own
        return getattr(self._inner, name)


class _GuardedMeter:
    def __init__(self, inner: Meter, queue: RecordQueue | None) -> None:
        self._inner = inner
        self._queue = queue

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not name.startswith("create_"):
            return attr

        def create(*args: Any, **kwargs: Any) -> Any:
            where = f"{self._inner.name} {args[0] if args else kwargs.get('name')}.{name[len('create_'):]}"
            queue = self._queue if name == "create_histogram" else None
            return _GuardedInstrument(attr(*args, **kwargs), where, queue)
        return create


class GuardedMeterProvider(MeterProvider):
    def __init__(self, inner: MeterProvider, queue: RecordQueue | None = None) -> None:
        self._inner = inner
        self._queue = queue

    def get_meter(self, name: str, version: str | None = None, schema_url: str | None = None,
                  attributes: Any = None) -> Meter:
        return _GuardedMeter(self._inner.get_meter(name, version, schema_url, attributes),  # type: ignore[return-value]
                             self._queue)

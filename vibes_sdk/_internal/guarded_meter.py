"""A MeterProvider for foreign instrumentations whose instruments never raise.

The OpenTelemetry SDK's ``Histogram.record("lots")`` raises TypeError, and an
instrumentation that records a provider's garbage usage field would raise that into the
host's model call (seen with opentelemetry-instrumentation-openai-v2 2.4b0). The
instrumentations vibes enables get this provider: a bad measurement is dropped and counted
in ``vibes.sdk.dropped{signal="metrics", reason="sdk_error"}``, the call goes on.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.metrics import Meter, MeterProvider

from vibes_sdk._internal import guard

_MEASURE = frozenset({"add", "record", "set"})


class _GuardedInstrument:
    def __init__(self, inner: Any, where: str) -> None:
        self._inner = inner
        self._where = where

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in _MEASURE:
            return attr

        def measure(*args: Any, **kwargs: Any) -> None:
            try:
                attr(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - never into the host's call
                guard.suppressed(self._where, exc, "metrics")
        return measure


class _GuardedMeter:
    def __init__(self, inner: Meter) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not name.startswith("create_"):
            return attr

        def create(*args: Any, **kwargs: Any) -> Any:
            where = f"{self._inner.name} {args[0] if args else kwargs.get('name')}.{name[len('create_'):]}"
            return _GuardedInstrument(attr(*args, **kwargs), where)
        return create


class GuardedMeterProvider(MeterProvider):
    def __init__(self, inner: MeterProvider) -> None:
        self._inner = inner

    def get_meter(self, name: str, version: str | None = None, schema_url: str | None = None,
                  attributes: Any = None) -> Meter:
        return _GuardedMeter(self._inner.get_meter(name, version, schema_url, attributes))  # type: ignore[return-value]

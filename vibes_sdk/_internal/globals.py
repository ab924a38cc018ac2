"""The OTel global providers, installed once per process and switched on every ``init()``.

The OTel API lets a process set each global provider once, and a tracer, meter or logger
taken from it stays bound to the first real provider it saw. A re-``init()`` (tests,
notebooks, a fork) must not leave foreign instrumentations on a provider that has been shut
down, so the globals are these switches: every tracer, meter and logger they hand out looks up
the runtime's current provider (one attribute read when nothing changed), and observable
instruments are registered again on each new provider.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from opentelemetry import metrics as otel_metrics
from opentelemetry import trace as otel_trace
from opentelemetry._logs import Logger, LoggerProvider, NoOpLoggerProvider
from opentelemetry._logs import set_logger_provider
from opentelemetry.metrics import (Counter, Histogram, Meter, MeterProvider, NoOpMeterProvider, UpDownCounter,
                                   _Gauge)
from opentelemetry.trace import NoOpTracerProvider, Tracer, TracerProvider


class _Switch:
    """The current real provider and a generation number that changes with it."""

    def __init__(self, idle: Any) -> None:
        self.provider = idle
        self.generation = 0
        self._idle = idle
        self.listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    def set(self, provider: Any | None) -> None:
        with self._lock:
            self.provider = provider if provider is not None else self._idle
            self.generation += 1
            listeners = list(self.listeners)
        for listener in listeners:
            listener()


class _Bound:
    """Something made by the current provider, made again when the provider changes."""

    def __init__(self, switch: _Switch, make: Callable[[Any], Any]) -> None:
        self._switch, self._make = switch, make
        self._generation, self._real = -1, None

    def real(self) -> Any:
        if self._generation != self._switch.generation:
            self._real, self._generation = self._make(self._switch.provider), self._switch.generation
        return self._real


# ---- traces
class SwitchingTracerProvider(TracerProvider):
    def __init__(self) -> None:
        self.switch = _Switch(NoOpTracerProvider())

    def get_tracer(self, instrumenting_module_name: str, instrumenting_library_version: str | None = None,
                   schema_url: str | None = None, attributes: Any = None) -> Tracer:
        return _SwitchingTracer(_Bound(self.switch, lambda p: p.get_tracer(
            instrumenting_module_name, instrumenting_library_version, schema_url, attributes)))


class _SwitchingTracer(Tracer):
    def __init__(self, bound: _Bound) -> None:
        self._bound = bound

    def start_span(self, *args: Any, **kwargs: Any) -> otel_trace.Span:
        return self._bound.real().start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[otel_trace.Span]:
        with self._bound.real().start_as_current_span(*args, **kwargs) as span:
            yield span


# ---- logs
class SwitchingLoggerProvider(LoggerProvider):
    def __init__(self) -> None:
        self.switch = _Switch(NoOpLoggerProvider())

    def get_logger(self, name: str, version: str | None = None, schema_url: str | None = None,
                   attributes: Any = None) -> Logger:
        return _SwitchingLogger(_Bound(self.switch, lambda p: p.get_logger(name, version, schema_url, attributes)))


class _SwitchingLogger(Logger):
    def __init__(self, bound: _Bound) -> None:
        self._bound = bound

    def emit(self, *args: Any, **kwargs: Any) -> None:
        self._bound.real().emit(*args, **kwargs)

    def enabled(self, *args: Any, **kwargs: Any) -> bool:
        return self._bound.real().enabled(*args, **kwargs)


# ---- metrics
class SwitchingMeterProvider(MeterProvider):
    def __init__(self) -> None:
        self.switch = _Switch(NoOpMeterProvider())

    def get_meter(self, name: str, version: str | None = None, schema_url: str | None = None,
                  attributes: Any = None) -> Meter:
        return _SwitchingMeter(name, version, schema_url, self.switch,
                               _Bound(self.switch, lambda p: p.get_meter(name, version, schema_url, attributes)))


class _Synchronous:
    """A synchronous instrument whose calls go to its twin on the current meter."""

    def __init__(self, bound: _Bound) -> None:
        self._bound = bound

    def add(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._bound.real().add(amount, attributes, context)

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._bound.real().record(amount, attributes, context)

    def set(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self._bound.real().set(amount, attributes, context)


class _SwitchingCounter(_Synchronous, Counter):
    pass


class _SwitchingUpDownCounter(_Synchronous, UpDownCounter):
    pass


class _SwitchingHistogram(_Synchronous, Histogram):
    pass


class _SwitchingGauge(_Synchronous, _Gauge):
    pass


class _SwitchingMeter(Meter):
    def __init__(self, name: str, version: str | None, schema_url: str | None, switch: _Switch,
                 meter: _Bound) -> None:
        super().__init__(name, version, schema_url)
        self._switch, self._meter = switch, meter

    def _sync(self, cls: type, method: str, args: tuple, kwargs: dict) -> Any:
        return cls(_Bound(self._switch, lambda _p: getattr(self._meter.real(), method)(*args, **kwargs)))

    def create_counter(self, *args: Any, **kwargs: Any) -> Counter:
        return self._sync(_SwitchingCounter, "create_counter", args, kwargs)

    def create_up_down_counter(self, *args: Any, **kwargs: Any) -> UpDownCounter:
        return self._sync(_SwitchingUpDownCounter, "create_up_down_counter", args, kwargs)

    def create_histogram(self, *args: Any, **kwargs: Any) -> Histogram:
        return self._sync(_SwitchingHistogram, "create_histogram", args, kwargs)

    def create_gauge(self, *args: Any, **kwargs: Any) -> _Gauge:
        return self._sync(_SwitchingGauge, "create_gauge", args, kwargs)

    def _observable(self, method: str, args: tuple, kwargs: dict) -> Any:
        """Callbacks are held by the meter they were registered with: register on every new one."""
        def register() -> Any:
            return getattr(self._meter.real(), method)(*args, **kwargs)
        self._switch.listeners.append(register)
        return register()

    def create_observable_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("create_observable_counter", args, kwargs)

    def create_observable_gauge(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("create_observable_gauge", args, kwargs)

    def create_observable_up_down_counter(self, *args: Any, **kwargs: Any) -> Any:
        return self._observable("create_observable_up_down_counter", args, kwargs)


TRACER_PROVIDER = SwitchingTracerProvider()
METER_PROVIDER = SwitchingMeterProvider()
LOGGER_PROVIDER = SwitchingLoggerProvider()
_INSTALLED = threading.Event()


def use(tracer_provider: Any, meter_provider: Any, logger_provider: Any) -> None:
    """Point the globals at a runtime's providers (None: back to no-op), installing them once."""
    if not _INSTALLED.is_set():
        _INSTALLED.set()
        # refused (with an OTel warning) when the host set its own globals first: then the host's
        # providers stay in charge of foreign instrumentations, and ours of our own telemetry
        otel_trace.set_tracer_provider(TRACER_PROVIDER)
        otel_metrics.set_meter_provider(METER_PROVIDER)
        set_logger_provider(LOGGER_PROVIDER)
    TRACER_PROVIDER.switch.set(tracer_provider)
    METER_PROVIDER.switch.set(meter_provider)
    LOGGER_PROVIDER.switch.set(logger_provider)


def release(tracer_provider: Any) -> None:
    """A runtime that stops hands the globals back to no-op, unless a newer one holds them."""
    if TRACER_PROVIDER.switch.provider is tracer_provider:
        use(None, None, None)

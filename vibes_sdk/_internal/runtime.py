"""The live SDK: providers, pipelines, instruments and the accounting of every LLM call.

``STATE`` is None before init, after shutdown and when disabled: every public call
checks it first and returns a shared no-op object, which is what keeps the disabled
path cheap.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing.util
import os
import signal
import threading
import time
import uuid
from typing import Any, Iterable, Mapping

from opentelemetry import trace as otel_trace
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.sdk._logs import LoggerProvider, LogRecordLimits
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, SpanProcessor, SynchronousMultiSpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

from vibes_sdk import names
from vibes_sdk._internal import autoinstrument, guard, sanitize
from vibes_sdk._internal import globals as otel_globals
from vibes_sdk._internal.bounds import BoundedLogProcessor, BoundedSpanProcessor, QueueBudget
from vibes_sdk._internal.guarded_meter import GuardedMeterProvider
from vibes_sdk._internal.exporters import (
    CountingLogExporter,
    CountingMetricExporter,
    CountingSpanExporter,
    count_queue_drops,
)
from vibes_sdk._internal.instruments import CumulativeCounter, Instruments, LabelSet, views
from vibes_sdk._internal.loghandler import OtelLogHandler, console_handler
from vibes_sdk._internal.otlp_http import OtlpHttpSpanExporter
from vibes_sdk._internal.processors import (
    SDK_SCOPE,
    ForeignGenAiCost,
    GenAiAwareSampler,
)
from vibes_sdk.config import ObserveConfig, signal_endpoint, signal_headers
from vibes_sdk.cost import CostTracker, PriceTable, Usage, cost_usd

STATE: Runtime | None = None
_CLOSED = threading.Event()  # clear while a stop() is flushing
_CLOSED.set()
COST_TRACKER = CostTracker()  # process-wide; exists before init so callers can hold it
_LOCK = threading.RLock()
_ATEXIT_REGISTERED = False
LOGGER = logging.getLogger("vibes_sdk")

SYSTEM_METRICS = {
    "system.cpu.utilization": ["idle", "user", "system"],
    "system.memory.usage": ["used", "free"],
    "system.memory.utilization": ["used", "free"],
    names.SYSTEM_PROCESS_CPU: ["user", "system"],
    "process.cpu.utilization": ["user", "system"],
    names.SYSTEM_PROCESS_MEMORY: None,
    "process.thread.count": None,
    "process.open_file_descriptor.count": None,
}


def _sampler(cfg: ObserveConfig) -> Sampler:
    root: Sampler = {"always_on": ALWAYS_ON, "always_off": ALWAYS_OFF}.get(
        cfg.sampler.removeprefix("parentbased_"), None) or TraceIdRatioBased(cfg.sampler_arg)
    return GenAiAwareSampler(ParentBased(root) if cfg.sampler.startswith("parentbased_") else root)


class Runtime:
    def __init__(self, cfg: ObserveConfig, *, span_processors: Iterable[SpanProcessor] = (),
                 metric_readers: Iterable[MetricReader] = (), log_processors: Iterable[Any] = (),
                 set_globals: bool = True, instance_id: str | None = None) -> None:
        self.config = cfg
        self.prices = PriceTable.load(cfg.price_file)
        self.tracker = COST_TRACKER
        attrs: dict[str, Any] = {names.SERVICE_NAME: cfg.service_name}
        if cfg.service_version:
            attrs["service.version"] = cfg.service_version
        if cfg.environment:
            attrs["deployment.environment.name"] = cfg.environment
        attrs.update(cfg.resource_attributes)
        attrs[names.SERVICE_NAME] = cfg.service_name  # the merged config decides
        attrs[names.PROCESS_PID] = os.getpid()
        if instance_id:  # a forked child: its series must not collide with its parent's
            attrs[names.SERVICE_INSTANCE_ID] = instance_id
        resource = Resource.create(attrs)
        timeout_ms = int(cfg.export_timeout * 1000)
        self.log_level = logging.getLevelName(cfg.log_level)
        self.budgets: list[QueueBudget] = []
        self.exporters: list[Any] = []  # the Counting* wrappers: disarmed in a forked child

        # ---- metrics first: the drop counter must exist before anything can drop
        readers = list(metric_readers)
        if "otlp" in cfg.metrics_exporter:
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
            metric_exporter = CountingMetricExporter(OTLPMetricExporter(
                endpoint=signal_endpoint(cfg, "metrics"), headers=signal_headers(cfg, "metrics"),
                timeout=cfg.export_timeout))
            self.exporters.append(metric_exporter)
            readers.append(PeriodicExportingMetricReader(
                metric_exporter, export_interval_millis=cfg.metric_export_interval * 1000,
                export_timeout_millis=timeout_ms))
        if "console" in cfg.metrics_exporter:
            readers.append(PeriodicExportingMetricReader(
                ConsoleMetricExporter(), export_interval_millis=cfg.metric_export_interval * 1000))
        # Exemplars off unless asked for (OTEL_METRICS_EXEMPLAR_FILTER): they cost on every record.
        exemplars = None if os.environ.get("OTEL_METRICS_EXEMPLAR_FILTER") else AlwaysOffExemplarFilter()
        self.meter_provider = MeterProvider(resource=resource, metric_readers=readers, views=views(),
                                            exemplar_filter=exemplars, shutdown_on_exit=False)
        self.inst = Instruments(self.meter_provider.get_meter(SDK_SCOPE))
        # schema-1.42 token counters, for own calls, when OTEL_SEMCONV_STABILITY_OPT_IN asks for them
        self.semconv_usage = None
        if names.SEMCONV_OPT_IN_GEN_AI_LATEST in os.environ.get(names.SEMCONV_OPT_IN_ENV, ""):
            meter = self.meter_provider.get_meter(SDK_SCOPE)
            self.semconv_usage = [CumulativeCounter(meter, inst) for inst in names.INFERENCE_USAGE_COUNTERS.values()]
        dropped = self.inst.dropped
        guard.drop_hook = lambda signal, reason, n: dropped.add(n, {"signal": signal, "reason": reason})

        # ---- traces
        self.tracer_provider = TracerProvider(
            resource=resource, sampler=_sampler(cfg),
            span_limits=SpanLimits(max_attribute_length=cfg.max_attribute_length),
            shutdown_on_exit=False)
        # every other processor sits behind the one that stamps context and prices foreign spans
        downstream = SynchronousMultiSpanProcessor()
        self.tracer_provider.add_span_processor(ForeignGenAiCost(self, downstream))
        for proc in span_processors:
            downstream.add_span_processor(proc)
        span_exporters = []
        if "otlp" in cfg.traces_exporter:
            span_exporters.append(OtlpHttpSpanExporter(signal_endpoint(cfg, "traces"), signal_headers(cfg, "traces"),
                                                       cfg.export_timeout))
        if "console" in cfg.traces_exporter:
            span_exporters.append(ConsoleSpanExporter())
        if "zipkin" in cfg.traces_exporter:
            from opentelemetry.exporter.zipkin.json import ZipkinExporter
            span_exporters.append(ZipkinExporter(endpoint=cfg.zipkin_endpoint, timeout=max(1, int(cfg.export_timeout))))
        for exporter in span_exporters:
            budget = QueueBudget("traces", cfg.max_queue_size, cfg.max_queue_bytes)
            counting = CountingSpanExporter(exporter, budget)
            bsp = BatchSpanProcessor(counting, max_queue_size=cfg.max_queue_size,
                                     schedule_delay_millis=cfg.flush_interval * 1000,
                                     max_export_batch_size=min(512, cfg.max_queue_size))
            count_queue_drops(bsp, "traces")
            downstream.add_span_processor(BoundedSpanProcessor(bsp, budget))
            self.budgets.append(budget)
            self.exporters.append(counting)
        self.tracer = self.tracer_provider.get_tracer(SDK_SCOPE)

        # ---- logs
        self.logger_provider = LoggerProvider(
            resource=resource, shutdown_on_exit=False,
            log_record_limits=LogRecordLimits(max_attribute_length=cfg.max_attribute_length))
        for proc in log_processors:
            self.logger_provider.add_log_record_processor(proc)
        if "otlp" in cfg.logs_exporter:
            from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
            budget = QueueBudget("logs", cfg.max_queue_size, cfg.max_queue_bytes)
            counting_logs = CountingLogExporter(
                OTLPLogExporter(endpoint=signal_endpoint(cfg, "logs"), headers=signal_headers(cfg, "logs"),
                                timeout=cfg.export_timeout), budget)
            blp = BatchLogRecordProcessor(
                counting_logs, max_queue_size=cfg.max_queue_size, schedule_delay_millis=cfg.flush_interval * 1000,
                max_export_batch_size=min(512, cfg.max_queue_size))
            count_queue_drops(blp, "logs")
            self.logger_provider.add_log_record_processor(BoundedLogProcessor(blp, budget, cfg.max_log_body_length))
            self.budgets.append(budget)
            self.exporters.append(counting_logs)
        self._event_logger = self.logger_provider.get_logger(SDK_SCOPE)
        level = self.log_level
        # Records of the host's loggers come at the levels the host configured (its root
        # level is never changed: its libraries' INFO lines stay unexported); records of
        # vibes_sdk.get_logger() loggers reach these handlers from `log_level` up (logs.py).
        self.handlers: list[logging.Handler] = [
            OtelLogHandler(self.logger_provider, level, cfg.max_attribute_length, cfg.capture_content,
                           cfg.max_log_body_length)]
        if "console" in cfg.logs_exporter:
            self.handlers.append(console_handler(cfg.log_format, level))
        root = logging.getLogger()
        self._fallback: logging.Handler | None = None
        if not root.handlers and "console" not in cfg.logs_exporter:
            # Python prints WARNING+ to stderr while the root logger has no handler (lastResort);
            # adding ours would silence that, so keep an equivalent console handler.
            self._fallback = logging.StreamHandler()
            self._fallback.setLevel(logging.WARNING)
        for handler in self._root_handlers():
            root.addHandler(handler)

        if set_globals:
            otel_globals.use(self.tracer_provider, self.meter_provider, self.logger_provider)
        self._system_metrics = None
        if cfg.system_metrics:
            try:
                from opentelemetry.instrumentation.system_metrics import SystemMetricsInstrumentor
                self._system_metrics = SystemMetricsInstrumentor(config=SYSTEM_METRICS)
                self._system_metrics.instrument(meter_provider=self.meter_provider)
            except Exception as exc:  # noqa: BLE001 - optional: psutil may be missing on odd platforms
                guard.suppressed("system metrics", exc, "metrics")
                self._system_metrics = None
        self._labels: dict[tuple[Any, ...], tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}
        self._labels_lock = threading.Lock()
        self._instrumentors = autoinstrument.enable(
            cfg.instrument, {"tracer_provider": self.tracer_provider,
                             "meter_provider": GuardedMeterProvider(self.meter_provider, self.inst.records),
                             "logger_provider": self.logger_provider}, capture_content=cfg.capture_content)
        self._pipeline = {"span_processors": tuple(span_processors), "metric_readers": tuple(metric_readers),
                          "log_processors": tuple(log_processors), "set_globals": set_globals}

    def _root_handlers(self) -> list[logging.Handler]:
        return self.handlers + ([self._fallback] if self._fallback is not None else [])

    # ------------------------------------------------------------ labels
    def model_labels(self, operation: Any, provider: Any, model: Any, agent_name: Any,
                     cost_center: Any) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        """(base labels, labels per token type), cached: metric label dicts are reused."""
        key = (operation, provider, model, agent_name, cost_center)
        hit = self._labels.get(key)
        if hit is not None:
            return hit
        base = LabelSet({k: str(v) for k, v in zip(names.MODEL_LABELS, key) if v is not None and v != ""})
        per_type = {t: LabelSet({**base, names.GEN_AI_TOKEN_TYPE: t}) for t in (
            names.TOKEN_INPUT, names.TOKEN_OUTPUT, names.TOKEN_CACHE_READ,
            names.TOKEN_CACHE_CREATION, names.TOKEN_REASONING)}
        with self._labels_lock:
            if len(self._labels) > 2048:
                self._labels.clear()
            self._labels[key] = (base, per_type)
        return base, per_type

    # -------------------------------------------------------- accounting
    def account(self, operation: str, provider: Any, model: Any, usage: Usage,
                agent_name: Any, cost_center: Any, session_id: Any,
                price_model: Any = None, labels: Any = None) -> float | None:
        """Exact vibes token/cost counters for one call (never the semconv histograms)."""
        base, per_type = labels or self.model_labels(operation, provider, model, agent_name, cost_center)
        add = self.inst.tokens.add
        if usage.input_tokens:
            add(usage.input_tokens, per_type[names.TOKEN_INPUT])
        if usage.output_tokens:
            add(usage.output_tokens, per_type[names.TOKEN_OUTPUT])
        if usage.cache_read_tokens:
            add(usage.cache_read_tokens, per_type[names.TOKEN_CACHE_READ])
        if usage.cache_creation_tokens:
            add(usage.cache_creation_tokens, per_type[names.TOKEN_CACHE_CREATION])
        if usage.reasoning_tokens:
            add(usage.reasoning_tokens, per_type[names.TOKEN_REASONING])
        price = None
        if price_model:
            price = self.prices.lookup(price_model)
        if price is None and model:
            price = self.prices.lookup(model)
        if price is None:
            self.inst.unpriced.add(1, base)
            guard.warn_once(f"unpriced:{model}",
                            "vibes_sdk: no price for model %r: its calls are counted in %s "
                            "and marked %s=true, not priced at 0. Add it with price_file.",
                            model, names.UNPRICED_REQUESTS.name, names.VIBES_COST_UNPRICED)
            self.tracker.record(None, model=None, session_id=session_id, usage=usage)
            return None
        cost = cost_usd(price, usage)
        self.inst.cost.add(cost, base)
        self.tracker.record(cost, model=str(model), session_id=session_id, agent_name=agent_name,
                            usage=usage)  # usage: per-session totals for the session summary
        return cost

    def emit_event(self, name: str, fields: Mapping[str, Any], ctx: Any) -> None:
        attrs = sanitize.redact_attributes(sanitize.attributes(fields, self.config.max_attribute_length))
        attrs.update(ctx.attributes)
        attrs[names.LOG_EVENT_NAME] = name
        span = otel_trace.get_current_span()
        if span.is_recording():
            span.add_event(name, attrs)
        self._event_logger.emit(LogRecord(
            timestamp=time.time_ns(), severity_number=SeverityNumber.INFO, severity_text="INFO",
            body=name, attributes=attrs, event_name=name))

    # -------------------------------------------------------- lifecycle
    def flush(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        ok = True
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            remaining = max(0.0, deadline - time.monotonic())
            ok = _bounded(lambda p=provider, r=remaining: p.force_flush(int(r * 1000)), remaining) and ok
        return ok

    def detach_handlers(self) -> None:
        root = logging.getLogger()
        for handler in self._root_handlers():
            root.removeHandler(handler)

    def forked_copy(self) -> Runtime:
        """In a forked child: a new runtime of the same config, with fresh providers,
        exporters (own connections), locks and queues, under the child's own resource
        identity; this one is disarmed so nothing inherited from the parent is re-exported."""
        for exporter in self.exporters:
            exporter.disarm()
        self.detach_handlers()
        autoinstrument.disable(self._instrumentors)
        guard.drop_hook = None
        child = Runtime(self.config, instance_id=f"{os.getpid()}-{uuid.uuid4().hex[:12]}", **self._pipeline)
        # the parent's providers in this process: stopped in the background (their export
        # locks may be held by a thread that does not exist here), never waited for
        threading.Thread(target=self._stop_providers, name="vibes-sdk-inherited", daemon=True).start()
        return child

    def _stop_providers(self) -> None:
        for provider in (self.tracer_provider, self.logger_provider, self.meter_provider):
            try:
                provider.shutdown()
            except Exception:  # noqa: BLE001
                pass

    def close(self, timeout: float) -> bool:
        self.detach_handlers()
        autoinstrument.disable(self._instrumentors)
        if self._system_metrics is not None:
            try:
                self._system_metrics.uninstrument()
            except Exception as exc:  # noqa: BLE001
                guard.suppressed("system metrics uninstrument", exc, "metrics")

        def _shutdown() -> None:
            deadline = time.monotonic() + timeout
            self.tracer_provider.shutdown()
            self.logger_provider.shutdown()
            self.meter_provider.shutdown(timeout_millis=max(0.0, deadline - time.monotonic()) * 1000)

        done = _bounded(_shutdown, timeout)
        self.inst.records.close()  # after the provider's last collection, which drained it
        if not done:  # what is still queued will not leave: say so, once
            for budget in self.budgets:
                budget.abandon("shutdown_timeout")
            for exporter in self.exporters:
                exporter.abandon_in_flight("shutdown_timeout")
                exporter.disarm()
        guard.drop_hook = None
        return done


def _bounded(fn: Any, timeout: float) -> bool:
    """Run `fn` in a daemon thread; wait at most `timeout` (a dead collector cannot hang exit)."""
    result: list[Any] = []

    def run() -> None:
        try:
            result.append(fn())
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("flush/shutdown", exc)
            result.append(False)

    thread = threading.Thread(target=run, name="vibes-sdk-flush", daemon=True)
    thread.start()
    thread.join(max(0.0, timeout))
    return bool(result and result[0] is not False)


def start(cfg: ObserveConfig, **pipeline: Any) -> Runtime | None:
    global STATE, _ATEXIT_REGISTERED
    with _LOCK:
        if STATE is not None:
            guard.warn_once("double-init", "vibes_sdk.init() called again: the first configuration stays; "
                                           "call vibes_sdk.shutdown() first to reconfigure")
            return STATE
        if cfg.disabled:
            LOGGER.info("vibes_sdk disabled by configuration: every call is a no-op")
            return None
        STATE = Runtime(cfg, **pipeline)
        if not _ATEXIT_REGISTERED:
            atexit.register(_stop_quietly)
            _ATEXIT_REGISTERED = True
        return STATE


def stop(timeout: float | None = None) -> bool:
    global STATE
    with _LOCK:
        state, STATE = STATE, None  # new calls become no-ops at once
        if state is not None:
            _CLOSED.clear()
    if state is None:
        return True
    otel_globals.release(state.tracer_provider)
    try:
        return state.close(state.config.shutdown_timeout if timeout is None else timeout)
    finally:
        _CLOSED.set()


def _stop_quietly() -> None:
    """stop() at process exit: the interpreter's exit hook, and multiprocessing children,
    which leave through os._exit (no atexit) and run this from their exit finalizers."""
    try:
        stop()
    except Exception:  # noqa: BLE001
        pass


def _after_fork_in_child() -> None:
    global _LOCK, STATE, _CLOSED
    _LOCK = threading.RLock()
    _CLOSED = threading.Event()
    _CLOSED.set()
    guard.reset_after_fork()
    COST_TRACKER._after_fork()
    parent = STATE
    if parent is None:
        return
    try:
        STATE = parent.forked_copy()
    except Exception as exc:  # noqa: BLE001 - the child runs on without telemetry, never fails
        STATE = None
        guard.suppressed("fork", exc)


def _flush_then_terminate(signum: int, frame: Any) -> None:
    """SIGTERM in a multiprocessing child (Pool.terminate()): flush, bounded, then die by it."""
    state = STATE
    timeout = state.config.shutdown_timeout if state is not None else 5.0
    worker = threading.Thread(target=_stop_quietly, name="vibes-sdk-exit", daemon=True)
    worker.start()
    worker.join(timeout + 0.5)
    _CLOSED.wait(timeout)  # the signal may have come in the middle of the exit flush: let it end
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _in_multiprocessing_child(_: Any) -> None:
    """Runs in every multiprocessing child started by fork, before its target."""
    if STATE is None:
        return
    multiprocessing.util.Finalize(None, _stop_quietly, exitpriority=100)
    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _flush_then_terminate)


class _ForkHook:
    """A weak-referenceable owner for multiprocessing's after-fork registry."""


_FORK_HOOK = _ForkHook()
multiprocessing.util.register_after_fork(_FORK_HOOK, _in_multiprocessing_child)

if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)

"""A known agent workload sent with the plain OpenTelemetry SDK and the names in
``vibes_sdk.names`` — what the CLI tests query back.

Used by the live CLI tests (tests/integration/test_cli_*.py) and by
``record_fixtures.py``, which records the backends' real answers for the unit tests.
The figures below are the workload's definition; tests compare CLI output to them.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field

from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind, Status, StatusCode

from vibes_sdk import names as n


@dataclass(frozen=True)
class Call:
    model: str
    input_tokens: int
    output_tokens: int
    cache_read: int = 0
    reasoning: int = 0
    cost_usd: float | None = None  # None: the model has no price (unpriced)
    error: str | None = None
    duration_s: float = 0.05


@dataclass
class Workload:
    """One session of one agent: a few LLM calls and a failing tool call."""

    service: str
    agent: str
    cost_center: str
    session_id: str
    user_id: str
    calls: tuple[Call, ...]
    trace_ids: list[str] = field(default_factory=list)

    # --- expected figures, straight from the definition
    def tokens(self, token_type: str, model: str | None = None) -> int:
        attr = {"input": "input_tokens", "output": "output_tokens",
                "cache_read": "cache_read", "reasoning": "reasoning"}[token_type]
        return sum(getattr(c, attr) for c in self.calls if model in (None, c.model))

    def cost(self, model: str | None = None) -> float:
        return round(sum(c.cost_usd or 0.0 for c in self.calls
                         if model in (None, c.model)), 10)

    @property
    def unpriced_calls(self) -> int:
        return sum(1 for c in self.calls if c.cost_usd is None)

    @property
    def errors(self) -> int:
        return sum(1 for c in self.calls if c.error)


def make_workload(tag: str | None = None) -> Workload:
    tag = tag or uuid.uuid4().hex[:8]
    return Workload(
        service=f"cli-test-{tag}",
        agent=f"researcher-{tag}",
        cost_center=f"cc-{tag}",
        session_id=f"sess-{tag}",
        user_id=f"user-{tag}",
        calls=(
            Call("gpt-4o", 1200, 300, cache_read=200, cost_usd=0.0125),
            Call("claude-sonnet-4", 800, 150, reasoning=40, cost_usd=0.0047, duration_s=0.12),
            Call("mystery-model-x", 100, 50, cost_usd=None),
            Call("gpt-4o", 0, 0, cost_usd=0.0, error="RateLimitError", duration_s=0.02),
        ),
    )


class _Log:
    """Log records through the OTel logs API, inside the current span's context."""

    def __init__(self, logger):
        self._logger = logger

    def _emit(self, number: SeverityNumber, text: str, body: str, attrs: dict) -> None:
        self._logger.emit(body=body, severity_number=number, severity_text=text, attributes=attrs)

    def info(self, body: str, attrs: dict) -> None:
        self._emit(SeverityNumber.INFO, "INFO", body, attrs)

    def error(self, body: str, attrs: dict) -> None:
        self._emit(SeverityNumber.ERROR, "ERROR", body, attrs)


def _views() -> list[View]:
    return [View(instrument_name=i.name,
                 aggregation=ExplicitBucketHistogramAggregation(list(i.buckets)))
            for i in n.INSTRUMENTS if i.kind == "histogram" and i.buckets]


def send(workload: Workload, otlp_http_endpoint: str) -> Workload:
    """Send the workload over OTLP/HTTP and flush every signal."""
    base = otlp_http_endpoint.rstrip("/")
    resource = Resource.create({n.SERVICE_NAME: workload.service})
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{base}/v1/traces")))
    reader = PeriodicExportingMetricReader(OTLPMetricExporter(f"{base}/v1/metrics"),
                                           export_interval_millis=3_600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader], views=_views())
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(f"{base}/v1/logs")))

    tracer = tracer_provider.get_tracer("cli-workload")
    meter = meter_provider.get_meter("cli-workload")
    log = _Log(logger_provider.get_logger("cli-workload"))

    tokens = meter.create_counter(n.TOKENS.name, unit=n.TOKENS.unit)
    cost = meter.create_counter(n.COST.name, unit=n.COST.unit)
    unpriced = meter.create_counter(n.UNPRICED_REQUESTS.name, unit=n.UNPRICED_REQUESTS.unit)
    usage = meter.create_histogram(n.TOKEN_USAGE.name, unit=n.TOKEN_USAGE.unit)
    duration = meter.create_histogram(n.OPERATION_DURATION.name, unit=n.OPERATION_DURATION.unit)
    tool_duration = meter.create_histogram(n.TOOL_DURATION.name, unit=n.TOOL_DURATION.unit)

    ctx_attrs = {n.VIBES_SESSION_ID: workload.session_id, n.GEN_AI_AGENT_NAME: workload.agent,
                 n.VIBES_USER_ID: workload.user_id, n.VIBES_COST_CENTER: workload.cost_center}
    try:
        with tracer.start_as_current_span(
                n.span_name(n.OP_INVOKE_AGENT, workload.agent),
                attributes={**ctx_attrs, n.GEN_AI_OPERATION_NAME: n.OP_INVOKE_AGENT}) as root:
            workload.trace_ids.append(format(root.get_span_context().trace_id, "032x"))
            log.info("agent started", ctx_attrs)
            for call in workload.calls:
                _one_call(tracer, log, workload, call, ctx_attrs, tokens, cost, unpriced, usage, duration)
            with tracer.start_as_current_span(
                    n.span_name(n.OP_EXECUTE_TOOL, "web_search"),
                    attributes={**ctx_attrs, n.GEN_AI_OPERATION_NAME: n.OP_EXECUTE_TOOL,
                                n.GEN_AI_TOOL_NAME: "web_search",
                                n.ERROR_TYPE: "TimeoutError"}) as tool:
                tool.set_status(Status(StatusCode.ERROR, "search timed out"))
                tool_duration.record(0.01, {n.GEN_AI_AGENT_NAME: workload.agent, n.GEN_AI_TOOL_NAME: "web_search",
                                            n.ERROR_TYPE: "TimeoutError"})
                log.error("tool web_search failed: timed out", ctx_attrs)
            log.info("agent finished", ctx_attrs)
    finally:
        tracer_provider.force_flush()
        meter_provider.force_flush()
        logger_provider.force_flush()
        tracer_provider.shutdown()
        meter_provider.shutdown()
        logger_provider.shutdown()
    return workload


def _one_call(tracer, log, workload, call, ctx_attrs, tokens, cost, unpriced, usage, duration):
    labels = {n.GEN_AI_OPERATION_NAME: n.OP_CHAT, n.GEN_AI_PROVIDER_NAME: "openai",
              n.GEN_AI_REQUEST_MODEL: call.model, n.GEN_AI_AGENT_NAME: workload.agent,
              n.VIBES_COST_CENTER: workload.cost_center}
    attrs = {**ctx_attrs, **labels,
             n.GEN_AI_USAGE_INPUT_TOKENS: call.input_tokens,
             n.GEN_AI_USAGE_OUTPUT_TOKENS: call.output_tokens}
    if call.cache_read:
        attrs[n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = call.cache_read
    if call.reasoning:
        attrs[n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = call.reasoning
    if call.cost_usd is None:
        attrs[n.VIBES_COST_UNPRICED] = True
    else:
        attrs[n.VIBES_COST_USD] = call.cost_usd
    if call.error:
        attrs[n.ERROR_TYPE] = call.error
    with tracer.start_as_current_span(n.span_name(n.OP_CHAT, call.model), kind=SpanKind.CLIENT,
                                      attributes=attrs) as span:
        time.sleep(call.duration_s)
        if call.error:
            span.set_status(Status(StatusCode.ERROR, call.error))
            log.error(f"chat {call.model} failed: {call.error}", ctx_attrs)
        else:
            log.info(f"chat {call.model} ok: {call.input_tokens} in / {call.output_tokens} out", ctx_attrs)
    dur_labels = {**labels, n.ERROR_TYPE: call.error} if call.error else labels
    duration.record(call.duration_s, dur_labels)
    if call.error:
        return
    for token_type, value in ((n.TOKEN_INPUT, call.input_tokens), (n.TOKEN_OUTPUT, call.output_tokens),
                              (n.TOKEN_CACHE_READ, call.cache_read), (n.TOKEN_REASONING, call.reasoning)):
        if value:
            tokens.add(value, {**labels, n.GEN_AI_TOKEN_TYPE: token_type})
    usage.record(call.input_tokens, {**labels, n.GEN_AI_TOKEN_TYPE: n.TOKEN_INPUT})
    usage.record(call.output_tokens, {**labels, n.GEN_AI_TOKEN_TYPE: n.TOKEN_OUTPUT})
    if call.cost_usd is None:
        unpriced.add(1, labels)
    else:
        cost.add(call.cost_usd, labels)


# ------------------------------------------------------------ live-test helpers
def cli_env(stack, **extra: str) -> dict[str, str]:
    """Environment pointing the CLI at the test stack (the env-var path users use)."""
    import os
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIBES_")}
    env.update({"VIBES_PROMETHEUS_URL": stack.prometheus_url, "VIBES_JAEGER_URL": stack.jaeger_url,
                "VIBES_ALERTMANAGER_URL": stack.alertmanager_url, "VIBES_LOG_DIR": str(stack.log_dir),
                "VIBES_VICTORIALOGS_URL": stack.victorialogs_url,
                "VIBES_HOME": str(stack.state_dir), "COLUMNS": "250", **extra})
    return env


def run_cli(stack, *args: str, check: bool = True, **env: str):
    """Run the installed `vibes` entry point against the test stack."""
    import subprocess
    import sys
    from pathlib import Path
    exe = Path(sys.executable).with_name("vibes")
    proc = subprocess.run([str(exe), "observe", *args], capture_output=True, text=True,
                          env=cli_env(stack, **env), timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"vibes observe {' '.join(args)} exited {proc.returncode}:\n"
                             f"{proc.stdout}\n{proc.stderr}")
    return proc


def wait_until_landed(workload: Workload, stack, timeout: float = 60.0) -> None:
    """Block until the workload is queryable in Jaeger, Prometheus and VictoriaLogs."""
    import json as _json
    import requests
    deadline = time.monotonic() + timeout
    missing: list[str] = []
    while time.monotonic() < deadline:
        missing = []
        r = requests.get(f"{stack.jaeger_url}/api/traces", params={
            "service": workload.service, "tags": _json.dumps({n.VIBES_SESSION_ID: workload.session_id})},
            timeout=10).json()
        if not r.get("data") or len(r["data"][0]["spans"]) < len(workload.calls) + 2:
            missing.append("jaeger")
        q = f'{n.COST.prom}{{{n.prom_label(n.GEN_AI_AGENT_NAME)}="{workload.agent}"}}'
        r = requests.get(f"{stack.prometheus_url}/api/v1/query", params={"query": q}, timeout=10).json()
        if len(r["data"]["result"]) < 2:
            missing.append("prometheus")
        r = requests.get(f"{stack.victorialogs_url}/select/logsql/query", timeout=10, params={
            "query": f"{_json.dumps(n.VIBES_SESSION_ID)}:={_json.dumps(workload.session_id)} | count() records",
            "start": "1h"}).json()
        if int(r["records"]) < len(workload.calls) + 3:
            missing.append("victorialogs")
        if not missing:
            return
        time.sleep(1)
    raise AssertionError(f"workload {workload.service} did not land in: {', '.join(missing)}")

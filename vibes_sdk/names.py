"""Every telemetry name vibes-observe emits or queries — the one source of truth.

The SDK records with these names; the collector config, dashboards, alert rules and
the CLI import them (directly, or through :func:`prom_metric`/:func:`prom_label`).
GenAI names follow the OpenTelemetry GenAI semantic conventions (core v1.41.1);
what the conventions do not cover (cost, users, swarms, sessions) lives under
``vibes.*``.

Prometheus names are derived here, once, with the same rules the collector's
``prometheus`` exporter applies (dots to underscores, unit suffix, ``_total`` on
monotonic counters), so no query anywhere spells a metric name by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

# --------------------------------------------------------------------------- spans
# gen_ai.operation.name values
OP_CHAT = "chat"
OP_TEXT_COMPLETION = "text_completion"
OP_GENERATE_CONTENT = "generate_content"
OP_EMBEDDINGS = "embeddings"
OP_EXECUTE_TOOL = "execute_tool"
OP_INVOKE_AGENT = "invoke_agent"
OP_CREATE_AGENT = "create_agent"
OP_INVOKE_WORKFLOW = "invoke_workflow"
OP_RETRIEVAL = "retrieval"
INFERENCE_OPERATIONS = frozenset(
    {OP_CHAT, OP_TEXT_COMPLETION, OP_GENERATE_CONTENT, OP_EMBEDDINGS, OP_RETRIEVAL}
)
ALL_OPERATIONS = INFERENCE_OPERATIONS | {
    OP_EXECUTE_TOOL,
    OP_INVOKE_AGENT,
    OP_CREATE_AGENT,
    OP_INVOKE_WORKFLOW,
}


def span_name(operation: str, target: str | None) -> str:
    """Semconv span name: ``"{operation} {model|tool|agent|workflow}"``."""
    return f"{operation} {target}" if target else operation


# ---------------------------------------------------------------- attribute keys
# GenAI semantic conventions
GEN_AI_OPERATION_NAME = "gen_ai.operation.name"
GEN_AI_PROVIDER_NAME = "gen_ai.provider.name"
GEN_AI_SYSTEM = "gen_ai.system"  # deprecated alias still emitted by older instrumentations
GEN_AI_REQUEST_MODEL = "gen_ai.request.model"
GEN_AI_RESPONSE_MODEL = "gen_ai.response.model"
GEN_AI_RESPONSE_ID = "gen_ai.response.id"
GEN_AI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
GEN_AI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
GEN_AI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = "gen_ai.usage.cache_read.input_tokens"
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = "gen_ai.usage.cache_creation.input_tokens"
GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS = "gen_ai.usage.cache_write.input_tokens"  # newer drafts
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = "gen_ai.usage.reasoning.output_tokens"
GEN_AI_CONVERSATION_ID = "gen_ai.conversation.id"
GEN_AI_AGENT_ID = "gen_ai.agent.id"
GEN_AI_AGENT_NAME = "gen_ai.agent.name"
GEN_AI_AGENT_VERSION = "gen_ai.agent.version"
GEN_AI_WORKFLOW_NAME = "gen_ai.workflow.name"
GEN_AI_TOOL_NAME = "gen_ai.tool.name"
GEN_AI_TOOL_CALL_ID = "gen_ai.tool.call.id"
GEN_AI_TOOL_TYPE = "gen_ai.tool.type"
GEN_AI_TOKEN_TYPE = "gen_ai.token.type"
GEN_AI_INPUT_MESSAGES = "gen_ai.input.messages"  # content: opt-in only
GEN_AI_OUTPUT_MESSAGES = "gen_ai.output.messages"  # content: opt-in only
GEN_AI_SYSTEM_INSTRUCTIONS = "gen_ai.system_instructions"  # content: opt-in only
GEN_AI_TOOL_CALL_ARGUMENTS = "gen_ai.tool.call.arguments"  # content: opt-in only
GEN_AI_TOOL_CALL_RESULT = "gen_ai.tool.call.result"  # content: opt-in only
ERROR_TYPE = "error.type"
SERVICE_NAME = "service.name"
USER_ID = "user.id"  # OTel general semconv; never a metric label by default

# vibes namespace: what the conventions do not cover
VIBES_SESSION_ID = GEN_AI_CONVERSATION_ID  # a session IS the conversation
VIBES_SWARM_ID = "vibes.swarm.id"
VIBES_USER_ID = USER_ID
VIBES_COST_CENTER = "vibes.cost_center"
VIBES_COST_USD = "vibes.cost.usd"
VIBES_COST_UNPRICED = "vibes.cost.unpriced"
VIBES_TASK_NAME = "vibes.task.name"

# gen_ai.token.type values (semconv: input/output; the rest are vibes extensions used
# only on the vibes token counter, never on the semconv histogram)
TOKEN_INPUT = "input"
TOKEN_OUTPUT = "output"
TOKEN_CACHE_READ = "cache_read"
TOKEN_CACHE_CREATION = "cache_creation"
TOKEN_REASONING = "reasoning"

# Context fields stamped on every span and log record (TraceContext of the seed).
CONTEXT_ATTRIBUTES = {
    "session_id": VIBES_SESSION_ID,
    "agent_id": GEN_AI_AGENT_ID,
    "agent_name": GEN_AI_AGENT_NAME,
    "swarm_id": VIBES_SWARM_ID,
    "user_id": VIBES_USER_ID,
    "model": GEN_AI_REQUEST_MODEL,
    "cost_center": VIBES_COST_CENTER,
}

# Attributes that must never become metric labels (unbounded cardinality).
HIGH_CARDINALITY_ATTRIBUTES = frozenset(
    {VIBES_SESSION_ID, VIBES_USER_ID, GEN_AI_AGENT_ID, GEN_AI_RESPONSE_ID,
     GEN_AI_TOOL_CALL_ID, VIBES_SWARM_ID}
)

# ----------------------------------------------------------------------- metrics
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576,
                 4194304, 16777216, 67108864)
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
                    10.24, 20.48, 40.96, 81.92)
COUNT_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
LONG_DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400)

Kind = Literal["counter", "updown_counter", "histogram", "gauge"]

# Bounded label sets. `service` comes from the resource (Prometheus `job`).
MODEL_LABELS = (GEN_AI_OPERATION_NAME, GEN_AI_PROVIDER_NAME, GEN_AI_REQUEST_MODEL,
                GEN_AI_AGENT_NAME, VIBES_COST_CENTER)


@dataclass(frozen=True)
class Instrument:
    name: str
    kind: Kind
    unit: str
    description: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    group: str = ""

    @property
    def prom(self) -> str:
        """Prometheus base name (histograms add _bucket/_sum/_count)."""
        return prom_metric_name(self.name, self.unit, self.kind)

    @property
    def prom_bucket(self) -> str:
        return self.prom + "_bucket"

    @property
    def prom_sum(self) -> str:
        return self.prom + "_sum"

    @property
    def prom_count(self) -> str:
        return self.prom + "_count"


# --- Model group (semconv)
TOKEN_USAGE = Instrument(
    "gen_ai.client.token.usage", "histogram", "{token}",
    "Tokens used per GenAI operation, by token type (input includes cached, output includes reasoning).",
    MODEL_LABELS + (GEN_AI_TOKEN_TYPE,), TOKEN_BUCKETS, "model")
OPERATION_DURATION = Instrument(
    "gen_ai.client.operation.duration", "histogram", "s",
    "Duration of a GenAI operation; its count is the request count, error.type marks failures.",
    MODEL_LABELS + (ERROR_TYPE,), DURATION_BUCKETS, "model")
TIME_TO_FIRST_CHUNK = Instrument(
    "gen_ai.client.operation.time_to_first_chunk", "histogram", "s",
    "Time from request to the first streamed chunk.",
    MODEL_LABELS, DURATION_BUCKETS, "model")
# --- Model group (vibes): exact token and cost totals, independent of trace sampling
TOKENS = Instrument(
    "vibes.llm.tokens", "counter", "{token}",
    "Exact token totals by type: input, output, cache_read, cache_creation, reasoning.",
    MODEL_LABELS + (GEN_AI_TOKEN_TYPE,), None, "model")
COST = Instrument(
    "vibes.llm.cost.usd", "counter", "{USD}",
    "Cost in US dollars computed at record time from the price table.",
    MODEL_LABELS, None, "model")
UNPRICED_REQUESTS = Instrument(
    "vibes.llm.unpriced.requests", "counter", "{request}",
    "GenAI calls whose model has no price: their cost is unknown, not zero.",
    MODEL_LABELS, None, "model")

# --- Agent group
AGENT_ACTIVE = Instrument(
    "vibes.agent.active", "updown_counter", "{agent}", "Agents currently running.",
    (GEN_AI_AGENT_NAME, VIBES_COST_CENTER), None, "agent")
AGENT_SPAWNED = Instrument(
    "vibes.agent.spawned", "counter", "{agent}", "Agents started.",
    (GEN_AI_AGENT_NAME, VIBES_COST_CENTER), None, "agent")
AGENT_TASK_DURATION = Instrument(
    "gen_ai.invoke_agent.duration", "histogram", "s",
    "Duration of an agent task (invoke_agent); error.type marks failed tasks.",
    (GEN_AI_AGENT_NAME, VIBES_COST_CENTER, ERROR_TYPE), DURATION_BUCKETS, "agent")
TOOL_DURATION = Instrument(
    "gen_ai.execute_tool.duration", "histogram", "s",
    "Duration of a tool call; its count is the tool-call count, error.type marks tool errors.",
    (GEN_AI_AGENT_NAME, GEN_AI_TOOL_NAME, ERROR_TYPE), DURATION_BUCKETS, "agent")
TASK_INFERENCE_CALLS = Instrument(
    "gen_ai.invoke_agent.inference_calls", "histogram", "{call}",
    "LLM calls per agent task (iterations per task).",
    (GEN_AI_AGENT_NAME, VIBES_COST_CENTER), COUNT_BUCKETS, "agent")
TASK_TOOL_CALLS = Instrument(
    "gen_ai.invoke_agent.tool_calls", "histogram", "{call}",
    "Tool calls per agent task.",
    (GEN_AI_AGENT_NAME, VIBES_COST_CENTER), COUNT_BUCKETS, "agent")

# --- Session group (no session id label: per-session answers come from traces/logs)
SESSION_ACTIVE = Instrument(
    "vibes.session.active", "updown_counter", "{session}", "Sessions currently open.",
    (VIBES_COST_CENTER,), None, "session")
SESSION_DURATION = Instrument(
    "vibes.session.duration", "histogram", "s", "Duration of closed sessions.",
    (VIBES_COST_CENTER,), LONG_DURATION_BUCKETS, "session")
SESSION_EVENTS = Instrument(
    "vibes.session.events", "counter", "{event}", "Events recorded inside sessions.",
    (VIBES_COST_CENTER,), None, "session")
SESSION_MESSAGES = Instrument(
    "vibes.session.messages", "counter", "{message}", "Messages exchanged inside sessions.",
    (VIBES_COST_CENTER,), None, "session")

# --- Swarm group
SWARM_ACTIVE = Instrument(
    "vibes.swarm.active", "updown_counter", "{swarm}", "Swarms currently running.",
    (VIBES_COST_CENTER,), None, "swarm")
SWARM_COORDINATION_DURATION = Instrument(
    "vibes.swarm.coordination.duration", "histogram", "s",
    "Time a swarm spends coordinating (hand-offs, planning) rather than in agent work.",
    (VIBES_COST_CENTER,), DURATION_BUCKETS, "swarm")
SWARM_AGENT_UTILIZATION = Instrument(
    "vibes.swarm.agent.utilization", "gauge", "1",
    "Share of a swarm's agents busy with a task (0..1).",
    (VIBES_COST_CENTER,), None, "swarm")

# --- SDK self-health
SDK_DROPPED = Instrument(
    "vibes.sdk.dropped", "counter", "{item}",
    "Telemetry items the SDK dropped (full queue, export failure, guard), by signal and reason.",
    ("signal", "reason"), None, "sdk")

INSTRUMENTS: tuple[Instrument, ...] = (
    TOKEN_USAGE, OPERATION_DURATION, TIME_TO_FIRST_CHUNK, TOKENS, COST, UNPRICED_REQUESTS,
    AGENT_ACTIVE, AGENT_SPAWNED, AGENT_TASK_DURATION, TOOL_DURATION, TASK_INFERENCE_CALLS,
    TASK_TOOL_CALLS, SESSION_ACTIVE, SESSION_DURATION, SESSION_EVENTS, SESSION_MESSAGES,
    SWARM_ACTIVE, SWARM_COORDINATION_DURATION, SWARM_AGENT_UTILIZATION, SDK_DROPPED,
)

# System group: names emitted by opentelemetry-instrumentation-system-metrics.
SYSTEM_PROCESS_MEMORY = "process.memory.usage"
SYSTEM_PROCESS_CPU = "process.cpu.time"

# -------------------------------------------------- Prometheus name translation
# Same rules as the collector's prometheus exporter (translation strategy
# UnderscoreEscapingWithSuffixes): the only naming path, whatever the Prometheus version.
_UNIT_SUFFIX = {
    "s": "seconds", "ms": "milliseconds", "us": "microseconds", "ns": "nanoseconds",
    "min": "minutes", "h": "hours", "d": "days",
    "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes",
    "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes",
    "%": "percent", "Hz": "hertz", "V": "volts", "A": "amperes", "J": "joules",
    "W": "watts", "g": "grams", "Cel": "celsius", "m": "meters",
}
_INVALID = re.compile(r"[^a-zA-Z0-9_:]")


def _unit_suffix(unit: str, kind: str) -> str:
    if not unit or (unit.startswith("{") and unit.endswith("}")):
        return ""
    if unit == "1":
        return "ratio" if kind == "gauge" else ""
    return _UNIT_SUFFIX.get(unit, _INVALID.sub("_", unit))


def prom_metric_name(name: str, unit: str, kind: str) -> str:
    base = _INVALID.sub("_", name)
    base = re.sub(r"__+", "_", base).strip("_")
    suffix = _unit_suffix(unit, kind)
    if suffix and not base.endswith("_" + suffix):
        base = f"{base}_{suffix}"
    if kind == "counter" and not base.endswith("_total"):
        base += "_total"
    return base


def prom_label(attribute: str) -> str:
    """Prometheus label name for an attribute key (``gen_ai.request.model`` → ``gen_ai_request_model``)."""
    label = _INVALID.sub("_", attribute)
    return "key" + label if label[:1].isdigit() else label


#: Prometheus label holding the service name (collector maps service.name to job).
PROM_SERVICE_LABEL = "job"

#: Log record attribute carrying the event name of SDK-emitted events.
LOG_EVENT_NAME = "event.name"

__all__ = [n for n in dir() if n.isupper() or n in {"Instrument", "span_name", "prom_metric_name", "prom_label"}]

# --- added by the SDK (additions only)
#: Span attributes on invoke_agent spans: calls counted inside the task.
VIBES_TASK_INFERENCE_CALLS = "vibes.task.inference_calls"
VIBES_TASK_TOOL_CALLS = "vibes.task.tool_calls"
__all__ += ["VIBES_TASK_INFERENCE_CALLS", "VIBES_TASK_TOOL_CALLS"]

# --- session summary event (one OTLP log record per closed session; per-session and
# per-user cost come from these logs, never from metric labels)
#: ``event.name`` of the record emitted when a ``session(...)`` closes.
VIBES_EVENT_SESSION_SUMMARY = "vibes.session.summary"
#: Summary attributes besides the context, cost (VIBES_COST_USD) and token usage keys.
VIBES_SESSION_LLM_CALLS = "vibes.session.llm_calls"
VIBES_SESSION_UNPRICED_CALLS = "vibes.session.unpriced_calls"
VIBES_SESSION_DURATION_SECONDS = "vibes.session.duration_seconds"
__all__ += ["VIBES_EVENT_SESSION_SUMMARY", "VIBES_SESSION_LLM_CALLS",
            "VIBES_SESSION_UNPRICED_CALLS", "VIBES_SESSION_DURATION_SECONDS"]

# --- limits and redaction shared by the SDK (at the boundary) and the collector config
#: Largest token count one value may carry; larger ones are clamped (``vibes.sdk.dropped``
#: reason ``value_clamped``) so no counter ever leaves OTLP's 64-bit integer range.
MAX_TOKENS_PER_VALUE = 10**12
#: Values that look like secrets: OpenAI/Anthropic-style keys, bearer tokens, emails.
#: The SDK masks them before export; the collector's redaction processor again for
#: telemetry from elsewhere.
REDACTION_PATTERNS = (
    r"sk-[A-Za-z0-9_-]{16,}",
    r"(?i)bearer\s+[A-Za-z0-9._~+/=-]{8,}",
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
)
#: Resource attributes telling apart processes of one service (parent and forked children).
PROCESS_PID = "process.pid"
SERVICE_INSTANCE_ID = "service.instance.id"
__all__ += ["MAX_TOKENS_PER_VALUE", "REDACTION_PATTERNS", "PROCESS_PID", "SERVICE_INSTANCE_ID"]

# --- who priced a figure, and from which table (the SDK, or the collector for spans it prices)
#: ``sdk`` (vibes_sdk priced the span and counted it) or ``collector`` (the collector's
#: generated pricing config priced a span no vibes_sdk had seen).
VIBES_COST_SOURCE = "vibes.cost.source"
COST_SOURCE_SDK = "sdk"
COST_SOURCE_COLLECTOR = "collector"
#: Version of the price table that priced the span (``sha256:<12 hex>`` of prices.json).
VIBES_COST_PRICE_TABLE = "vibes.cost.price_table"
#: ``as_of`` date of the model's price entry that priced the span.
VIBES_COST_PRICE_AS_OF = "vibes.cost.price_as_of"
__all__ += ["VIBES_COST_SOURCE", "COST_SOURCE_SDK", "COST_SOURCE_COLLECTOR",
            "VIBES_COST_PRICE_TABLE", "VIBES_COST_PRICE_AS_OF"]
#: The app host whose agent collector (multi-host tier) derived a counter from the spans its SDKs
#: sent: each agent writes its own cumulative series, so the same service on two hosts never
#: shares one (a series needs a single writer). Bounded: one value per host.
VIBES_COLLECTOR_HOST = "vibes.collector.host"
__all__ += ["VIBES_COLLECTOR_HOST"]

# --- GenAI semconv schema 1.42: counters replacing the token histogram. vibes_sdk emits them
# for its own calls when OTEL_SEMCONV_STABILITY_OPT_IN contains gen_ai_latest_experimental;
# every query surface reads them (as well as the histogram and vibes.llm.tokens).
SEMCONV_OPT_IN_ENV = "OTEL_SEMCONV_STABILITY_OPT_IN"
SEMCONV_OPT_IN_GEN_AI_LATEST = "gen_ai_latest_experimental"
_INFERENCE_USAGE = (
    (TOKEN_INPUT, "input_tokens", "Input tokens (including cached)."),
    (TOKEN_OUTPUT, "output_tokens", "Output tokens (including reasoning)."),
    (TOKEN_CACHE_READ, "cache_read.input_tokens", "Input tokens read from the provider's cache."),
    (TOKEN_CACHE_CREATION, "cache_write.input_tokens", "Input tokens written to the provider's cache."),
    (TOKEN_REASONING, "reasoning.output_tokens", "Output tokens spent on reasoning."),
)
#: gen_ai.token.type value (vibes spelling) → the semconv counter of that type.
INFERENCE_USAGE_COUNTERS: dict[str, Instrument] = {
    token_type: Instrument(f"gen_ai.client.inference.usage.{suffix}", "counter", "{token}", meaning,
                           MODEL_LABELS, None, "model")
    for token_type, suffix, meaning in _INFERENCE_USAGE}
__all__ += ["SEMCONV_OPT_IN_ENV", "SEMCONV_OPT_IN_GEN_AI_LATEST", "INFERENCE_USAGE_COUNTERS"]
#: ``true`` when the emitter reported no cached-token count although the model prices cache
#: reads lower: the cost assumes nothing was cached, so it is an upper bound.
VIBES_COST_UPPER_BOUND = "vibes.cost.upper_bound"
__all__ += ["VIBES_COST_UPPER_BOUND"]

#: Other spellings of the token counts that instrumentations emit (older semconv drafts,
#: OpenLLMetry/traceloop) → the semconv attribute. Read by vibes_sdk for foreign spans and by
#: the collector's generated pricing config, where the semconv attribute is absent.
USAGE_ATTRIBUTE_ALIASES: dict[str, tuple[str, ...]] = {
    GEN_AI_USAGE_INPUT_TOKENS: ("gen_ai.usage.prompt_tokens", "llm.usage.prompt_tokens"),
    GEN_AI_USAGE_OUTPUT_TOKENS: ("gen_ai.usage.completion_tokens", "llm.usage.completion_tokens"),
    GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: ("gen_ai.usage.cache_read_input_tokens",),
    GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: (GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS,
                                               "gen_ai.usage.cache_creation_input_tokens"),
    GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: ("gen_ai.usage.reasoning_tokens",),  # OpenLLMetry 0.62
}
__all__ += ["USAGE_ATTRIBUTE_ALIASES"]

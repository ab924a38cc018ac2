"""Span processors and the sampler wrapper.

* :class:`ContextStamper` (on_start) stamps the vibes TraceContext on every span, and
  counts foreign inference/tool spans into the running task.
* :class:`ForeignGenAiCost` (on_end) gives spans from any GenAI-semconv emitter (e.g.
  opentelemetry-instrumentation-openai-v2) a cost and feeds the vibes token/cost
  counters. It never touches vibes' own spans (their llm_call records itself) and never
  the semconv histograms (the emitter records those itself).
* :class:`GenAiAwareSampler` keeps GenAI spans RECORD_ONLY when the inner sampler
  drops them, so token and cost totals stay exact whatever the sampling rate.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.trace import Link, SpanKind
from opentelemetry.trace.span import TraceState
from opentelemetry.util.types import Attributes

from vibes_sdk import names
from vibes_sdk._internal import current, guard
from vibes_sdk._internal.instruments import SDK_METER as SDK_SCOPE  # one scope name for tracer and meter
from vibes_sdk.cost import Usage, reconcile

_COUNTED_OPS = names.INFERENCE_OPERATIONS | {names.OP_EXECUTE_TOOL}


class GenAiAwareSampler(Sampler):
    def __init__(self, inner: Sampler) -> None:
        self._inner = inner

    def should_sample(self, parent_context: Optional[Context], trace_id: int, name: str,
                      kind: Optional[SpanKind] = None, attributes: Attributes = None,
                      links: Optional[Sequence[Link]] = None,
                      trace_state: Optional[TraceState] = None) -> SamplingResult:
        result = self._inner.should_sample(parent_context, trace_id, name, kind, attributes, links, trace_state)
        if (result.decision is Decision.DROP and attributes
                and attributes.get(names.GEN_AI_OPERATION_NAME) in _COUNTED_OPS):
            # the span is built from the result's attributes: a DROP result carries none
            return SamplingResult(Decision.RECORD_ONLY, attributes, result.trace_state)
        return result

    def get_description(self) -> str:
        return f"GenAiAware{{{self._inner.get_description()}}}"


class ContextStamper(SpanProcessor):
    def __init__(self) -> None:
        self._ctx_var = current.CTX
        self._task_var = current.TASK

    def on_start(self, span: Span, parent_context: Optional[Context] = None) -> None:
        try:
            scope = span.instrumentation_scope
            if scope is not None and scope.name == SDK_SCOPE:
                return  # our own units stamp at start and count themselves (even unsampled)
            pairs = self._ctx_var.get().attributes
            existing = span.attributes or {}
            if pairs:
                missing = {key: value for key, value in pairs if key not in existing}
                if missing:
                    span.set_attributes(missing)  # one pass of the SDK's cleaning and locking, not one per key
            op = existing.get(names.GEN_AI_OPERATION_NAME)
            if op in _COUNTED_OPS:
                task = self._task_var.get()
                if task is not None:
                    task._count(op)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("ContextStamper.on_start", exc, "traces")

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _int(attrs: Any, *keys: str) -> int:
    for key in keys:
        v = attrs.get(key)
        if isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 and v == v:
            return int(min(v, names.MAX_TOKENS_PER_VALUE))
    return 0


def usage_from_attributes(attrs: Any) -> Any:
    """A foreign span's usage under the same counting rules as our own calls (cost.reconcile);
    cache creation and cache write are two spellings of one count, never summed."""
    def count(key: str) -> int:  # the semconv spelling, else the first alias that has a count
        return _int(attrs, key, *names.USAGE_ATTRIBUTE_ALIASES.get(key, ()))

    return reconcile(Usage(
        input_tokens=count(names.GEN_AI_USAGE_INPUT_TOKENS),
        output_tokens=count(names.GEN_AI_USAGE_OUTPUT_TOKENS),
        cache_read_tokens=count(names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
        cache_creation_tokens=max(_int(attrs, names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS),
                                  _int(attrs, names.GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS),
                                  count(names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS)),
        reasoning_tokens=count(names.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS),
    ), names.MAX_TOKENS_PER_VALUE)


def plain_attributes(span: ReadableSpan) -> dict[str, Any]:
    """A span's attributes as a dict: one C-level copy (its BoundedAttributes' public ``copy``)
    where reading them through the mapping protocol goes key by key in Python."""
    attrs = span.attributes
    if not attrs:
        return {}
    return attrs.copy() if hasattr(attrs, "copy") else dict(attrs)


def with_attributes(span: ReadableSpan, extra: dict[str, Any], attrs: dict[str, Any] | None = None) -> ReadableSpan:
    """A copy of an ended span with ``extra`` attributes (public constructor: ended spans are frozen);
    ``attrs``: the span's own as :func:`plain_attributes` gave them, when the caller has them."""
    merged = dict(plain_attributes(span) if attrs is None else attrs)
    merged.update(extra)
    return ReadableSpan(
        name=span.name, context=span.context, parent=span.parent, resource=span.resource,
        attributes=merged, events=span.events, links=span.links,
        kind=span.kind, status=span.status, start_time=span.start_time, end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope)


class ForeignGenAiCost(ContextStamper):
    """ContextStamper's on_start plus the foreign-span accounting on_end, in front of ``downstream``.

    A foreign span's cost is known only once it has ended, when its attributes are frozen (the
    SDK's ending hook runs after the freeze too), so the processors and exporters behind this one
    receive a copy that carries the cost attributes; nothing else of the span changes.
    """

    def __init__(self, runtime: Any, downstream: SpanProcessor) -> None:
        super().__init__()
        self._rt = runtime
        self._llm_var = current.LLM
        self._downstream = downstream

    def on_start(self, span: Span, parent_context: Optional[Context] = None) -> None:
        super().on_start(span, parent_context)
        self._downstream.on_start(span, parent_context=parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        self._downstream.on_end(self._priced(span))

    def _priced(self, span: ReadableSpan) -> ReadableSpan:
        """``span``, or its copy with the cost attributes when it is a sampled foreign inference span."""
        stamps: dict[str, Any] = {}
        attrs: dict[str, Any] | None = None
        try:
            scope = span.instrumentation_scope
            if scope is not None and scope.name == SDK_SCOPE:
                return span
            attrs = plain_attributes(span)  # read a dozen times below
            op = attrs.get(names.GEN_AI_OPERATION_NAME)
            if op not in names.INFERENCE_OPERATIONS:
                return span
            usage = usage_from_attributes(attrs)
            sampled = span.context is not None and span.context.trace_flags.sampled
            if sampled:  # counted here: the collector must not price it again
                stamps[names.VIBES_COST_SOURCE] = names.COST_SOURCE_SDK
            outer = self._llm_var.get()
            if outer is not None:
                # Inside a vibes llm_call: that call is the unit of record. It adopts this
                # usage if the caller records none, so the call is counted exactly once.
                outer._adopt_foreign(usage, attrs)
            elif sampled:
                stamps.update(self._account(attrs, str(op), usage))
            else:
                self._account(attrs, str(op), usage)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("ForeignGenAiCost.on_end", exc, "metrics")
        try:
            return with_attributes(span, stamps, attrs) if stamps else span
        except Exception as exc:  # noqa: BLE001  # a span the copy cannot take still goes out as it was
            guard.suppressed("ForeignGenAiCost.copy", exc, "traces")
            return span

    def _account(self, attrs: Any, op: str, usage: Usage) -> dict[str, Any]:
        """Feed the token/cost counters; the attributes that say how the span was priced."""
        model = attrs.get(names.GEN_AI_REQUEST_MODEL) or attrs.get(names.GEN_AI_RESPONSE_MODEL)
        provider = attrs.get(names.GEN_AI_PROVIDER_NAME) or attrs.get(names.GEN_AI_SYSTEM)
        cost = self._rt.account(
            operation=op, provider=provider, model=model, usage=usage,
            agent_name=attrs.get(names.GEN_AI_AGENT_NAME),
            cost_center=attrs.get(names.VIBES_COST_CENTER),
            session_id=attrs.get(names.VIBES_SESSION_ID),
            price_model=attrs.get(names.GEN_AI_RESPONSE_MODEL) or model)
        if cost is None:
            return {names.VIBES_COST_UNPRICED: True}
        stamps = {names.VIBES_COST_USD: cost, names.VIBES_COST_PRICE_TABLE: self._rt.prices.version}
        if names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS not in attrs:
            price = self._rt.prices.lookup(attrs.get(names.GEN_AI_RESPONSE_MODEL) or model)
            if price is not None and price.discounts_cache_reads:
                # the instrumentation sent no cached-token count (openai-v2 2.4b0 never
                # does): nothing is assumed cached, the cost is an upper bound
                stamps[names.VIBES_COST_UPPER_BOUND] = True
        return stamps

    def shutdown(self) -> None:
        self._downstream.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._downstream.force_flush(timeout_millis)

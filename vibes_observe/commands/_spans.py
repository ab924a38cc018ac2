"""What a span says about an LLM call: model, tokens, cost (names from vibes_sdk.names)."""

from __future__ import annotations

from dataclasses import dataclass, field

from vibes_observe.clients.jaeger import Span, Trace
from vibes_sdk import names as n


def _num(value) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def is_inference(span: Span) -> bool:
    op = span.tag(n.GEN_AI_OPERATION_NAME)
    return op in n.INFERENCE_OPERATIONS or (op is None and n.GEN_AI_USAGE_INPUT_TOKENS in span.tags)


def model(span: Span) -> str | None:
    return span.tag(n.GEN_AI_RESPONSE_MODEL) or span.tag(n.GEN_AI_REQUEST_MODEL)


@dataclass
class Usage:
    """Token/cost totals over inference spans only, so an agent span that repeats its
    children's totals is never double counted."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    priced_calls: int = 0
    unpriced_calls: int = 0
    calls: int = 0
    errors: int = 0
    unpriced_models: set[str] = field(default_factory=set)

    def add_span(self, span: Span) -> None:
        if not is_inference(span):
            return
        self.calls += 1
        self.errors += span.is_error
        self.input_tokens += int(_num(span.tag(n.GEN_AI_USAGE_INPUT_TOKENS)) or 0)
        self.output_tokens += int(_num(span.tag(n.GEN_AI_USAGE_OUTPUT_TOKENS)) or 0)
        self.cache_read_tokens += int(_num(span.tag(n.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS)) or 0)
        self.reasoning_tokens += int(_num(span.tag(n.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS)) or 0)
        cost = _num(span.tag(n.VIBES_COST_USD))
        if cost is None or span.tag(n.VIBES_COST_UNPRICED) in (True, "true"):
            self.unpriced_calls += 1
            self.unpriced_models.add(model(span) or "?")
        else:
            self.cost_usd += cost
            self.priced_calls += 1

    def add_trace(self, trace: Trace) -> "Usage":
        for span in trace.spans:
            self.add_span(span)
        return self

    def to_dict(self) -> dict:
        return {"calls": self.calls, "failed_calls": self.errors, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "cache_read_tokens": self.cache_read_tokens,
                "reasoning_tokens": self.reasoning_tokens, "cost_usd": round(self.cost_usd, 10),
                "priced_calls": self.priced_calls, "unpriced_calls": self.unpriced_calls,
                "unpriced_models": sorted(self.unpriced_models)}

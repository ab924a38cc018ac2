"""Trace searches and how a trace reads (the traces and trace-cost commands and the TUI share them)."""

from __future__ import annotations

import time

from rich.markup import escape
from rich.tree import Tree

from vibes_observe.clients.jaeger import JaegerClient, Span, Trace
from vibes_observe.commands._common import (fmt_duration_us, fmt_int, fmt_time, fmt_usd, parse_duration,
                                            parse_time)
from vibes_observe.commands._spans import Usage, is_inference, model
from vibes_sdk import names as n


def search(client: JaegerClient, *, session: str | None = None, agent: str | None = None,
           model: str | None = None, service: str | None = None, errors: bool = False, min_duration: str | None = None,
           since: str = "1h", until: str = "now", limit: int = 20) -> list[Trace]:
    tags: dict[str, str] = {}
    if session:
        tags[n.VIBES_SESSION_ID] = session
    if agent:
        tags[n.GEN_AI_AGENT_NAME] = agent
    if model:
        tags[n.GEN_AI_REQUEST_MODEL] = model
    # Jaeger v2 keeps span status out of its tag index (a tag search for error=true finds
    # nothing), so failed traces are picked client-side from a wider search.
    now = time.time()
    start_us = int(parse_time(since, "--since", now) * 1e6)
    end_us = int(parse_time(until, "--until", now) * 1e6)
    min_us = parse_duration(min_duration, "--min-duration") * 1e6 if min_duration else None
    found = client.search(services=[service] if service else None, tags=tags or None,
                          limit=min(limit * 10, 1500) if errors else limit, start_us=start_us, end_us=end_us,
                          min_duration=f"{int(min_us)}us" if min_us else None)
    if errors:
        found = [t for t in found if t.error_count]
    if min_us:
        found = [t for t in found if t.duration_us >= min_us]
    return found[:limit]


def trace_summary(trace: Trace) -> dict:
    usage = Usage().add_trace(trace)
    root = trace.root
    return {"trace_id": trace.trace_id, "start": fmt_time(trace.start_us / 1e6),
            "start_unix_us": trace.start_us, "duration_us": trace.duration_us,
            "root": root.name, "service": root.service,
            "session": trace.find_tag(n.VIBES_SESSION_ID),
            "agent": trace.find_tag(n.GEN_AI_AGENT_NAME),
            "spans": len(trace.spans), "errors": trace.error_count, **usage.to_dict()}


def cost_cell(cost: float, unpriced: int) -> str:
    text = fmt_usd(cost)
    return f"{text} [yellow]+{unpriced} unpriced[/]" if unpriced else text


def span_label(span: Span, trace_start_us: int) -> str:
    parts = [f"[bold]{escape(span.name)}[/]", f"[cyan]{fmt_duration_us(span.duration_us)}[/]",
             f"[dim]+{fmt_duration_us(span.start_us - trace_start_us)}[/]"]
    if is_inference(span):
        if model(span):
            parts.append(f"model={escape(str(model(span)))}")
        tin, tout = span.tag(n.GEN_AI_USAGE_INPUT_TOKENS), span.tag(n.GEN_AI_USAGE_OUTPUT_TOKENS)
        if tin is not None or tout is not None:
            parts.append(f"tokens={fmt_int(tin or 0)} in/{fmt_int(tout or 0)} out")
        if span.tag(n.VIBES_COST_UNPRICED) in (True, "true") or span.tag(n.VIBES_COST_USD) is None:
            parts.append("[yellow]cost=unpriced[/]")
        else:
            parts.append(f"cost={fmt_usd(float(span.tag(n.VIBES_COST_USD)))}")
    if span.tag(n.GEN_AI_TOOL_NAME):
        parts.append(f"tool={escape(str(span.tag(n.GEN_AI_TOOL_NAME)))}")
    if span.is_error:
        why = span.tag(n.ERROR_TYPE) or span.tag("otel.status_description") or "error"
        desc = span.tag("otel.status_description")
        detail = f"{why}: {desc}" if desc and desc != why else why
        parts.append(f"[bold red]ERROR {escape(str(detail))}[/]")
    return "  ".join(parts)


def trace_heading(trace: Trace) -> str:
    """One line (rich markup) about a trace: id, start, duration, spans, errors, tokens, cost."""
    usage = Usage().add_trace(trace)
    return (f"trace [bold]{trace.trace_id}[/]  {fmt_time(trace.start_us / 1e6)}  "
            f"{fmt_duration_us(trace.duration_us)}  {len(trace.spans)} spans, "
            f"{trace.error_count} error(s)  tokens {fmt_int(usage.input_tokens)} in/"
            f"{fmt_int(usage.output_tokens)} out  cost {cost_cell(usage.cost_usd, usage.unpriced_calls)}")


def render_tree(trace: Trace) -> Tree:
    tree = Tree(trace_heading(trace))

    def add(node: Tree, span: Span) -> None:
        child = node.add(span_label(span, trace.start_us))
        for sub in span.children:
            add(child, sub)

    for root in trace.roots:
        add(tree, root)
    return tree

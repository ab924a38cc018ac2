"""`vibes observe traces`: search traces in Jaeger; `traces show ID` draws the span tree."""

from __future__ import annotations

import time

import click
from rich.markup import escape
from rich.table import Table
from rich.tree import Tree

from vibes_observe.clients.jaeger import JaegerClient, Span, Trace
from vibes_observe.commands._common import (console, emit_json, endpoints, fmt_duration_us,
                                            fmt_int, fmt_time, fmt_usd, json_option,
                                            parse_duration, parse_time)
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


class SessionOrSubcommand(click.Group):
    """`traces SESSION` = `traces --session SESSION`; `traces show ID` stays a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value = {o for p in self.params if isinstance(p, click.Option) and not p.is_flag for o in p.opts}
        i = 0
        while i < len(args):
            token = args[i]
            if token == "--":
                break
            if token.startswith("-"):
                i += 2 if token in takes_value else 1
                continue
            if token not in self.commands:
                if "--session" in args:
                    raise click.UsageError(f"session given twice: {token!r} and --session")
                args = [*args[:i], "--session", token, *args[i + 1:]]
            break
        return super().parse_args(ctx, args)

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        return ["[OPTIONS]", "[SESSION | show TRACE_ID]"]


@click.group(cls=SessionOrSubcommand, invoke_without_command=True)
@click.option("--session", help="Traces of this session (gen_ai.conversation.id); or give it as SESSION.")
@click.option("--agent", help="Traces touching this agent (gen_ai.agent.name).")
@click.option("--model", help="Traces with a call to this model (gen_ai.request.model).")
@click.option("--service", help="Only this service (default: every service).")
@click.option("--errors", is_flag=True, help="Only traces with a failed span.")
@click.option("--min-duration", metavar="DURATION", help="Only traces at least this long, e.g. 500ms, 2s.")
@click.option("--since", default="1h", show_default=True, help="Window start: 15m, 2h, 7d or ISO time.")
@click.option("--until", default="now", show_default=True, help="Window end.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option
@click.pass_context
def traces(ctx, session, agent, model, service, errors, min_duration, since, until, limit, as_json) -> None:
    """Traces of a session (`traces SESSION`) or a search; `traces show TRACE_ID` draws one trace."""
    if ctx.invoked_subcommand:
        return
    client = JaegerClient(endpoints().jaeger)
    found = search(client, session=session, agent=agent, model=model, service=service, errors=errors,
                   min_duration=min_duration, since=since, until=until, limit=limit)
    rows = [trace_summary(t) for t in found]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        console.print(f"no traces found in Jaeger ({client.url}) for these filters")
        return
    table = Table(title=f"{len(rows)} trace(s) from Jaeger {client.url}")
    for col in ("trace id", "start", "duration", "root span", "session", "agent", "spans",
                "errors", "tokens in/out", "cost"):
        table.add_column(col, justify="right" if col in ("duration", "spans", "errors", "cost") else "left")
    for r in rows:
        table.add_row(r["trace_id"], r["start"], fmt_duration_us(r["duration_us"]), escape(r["root"]),
                      escape(str(r["session"] or "-")), escape(str(r["agent"] or "-")),
                      str(r["spans"]), f"[red]{r['errors']}[/]" if r["errors"] else "0",
                      f"{fmt_int(r['input_tokens'])}/{fmt_int(r['output_tokens'])}",
                      _cost_cell(r["cost_usd"], r["unpriced_calls"]))
    console.print(table)


def _cost_cell(cost: float, unpriced: int) -> str:
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
            f"{fmt_int(usage.output_tokens)} out  cost {_cost_cell(usage.cost_usd, usage.unpriced_calls)}")


def render_tree(trace: Trace) -> Tree:
    tree = Tree(trace_heading(trace))

    def add(node: Tree, span: Span) -> None:
        child = node.add(span_label(span, trace.start_us))
        for sub in span.children:
            add(child, sub)

    for root in trace.roots:
        add(tree, root)
    return tree


@traces.command("show")
@click.argument("trace_id")
@json_option
def show(trace_id: str, as_json: bool) -> None:
    """Span tree of one trace: durations, model, tokens, cost, errors."""
    trace = JaegerClient(endpoints().jaeger).get_trace(trace_id)
    if as_json:
        emit_json({**trace_summary(trace), "spans": [
            {"span_id": s.span_id, "parent_id": s.parent_id, "name": s.name, "service": s.service,
             "start_unix_us": s.start_us, "duration_us": s.duration_us, "error": s.is_error,
             "tags": s.tags} for s in sorted(trace.spans, key=lambda s: s.start_us)]})
        return
    console.print(render_tree(trace))

"""`vibes observe traces`: search traces in Jaeger; `traces show ID` draws the span tree."""

from __future__ import annotations

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.commands._common import console, emit_json, endpoints, fmt_duration_us, fmt_int, json_option
from vibes_observe.commands._traces import cost_cell, render_tree, search, trace_summary


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
                      cost_cell(r["cost_usd"], r["unpriced_calls"]))
    console.print(table)


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

"""`vibes observe logs`: Loki when it is configured or answers, else the native log store."""

from __future__ import annotations

import dataclasses
import json
import time

import click
from rich.markup import escape

from vibes_observe.clients import BackendError
from vibes_observe.clients.logs_model import LogEntry, LogFilter, normalize_level
from vibes_observe.clients.logstore import LogStore
from vibes_observe.clients.loki import LokiClient, build_logql
from vibes_observe.commands._common import (console, endpoints, err_console,
                                            fmt_time, json_option, parse_time)

LOKI_PAGE = 5000  # Loki's default max_entries_limit_per_query
_LEVEL_STYLE = {"ERROR": "red", "FATAL": "bold red", "WARN": "yellow", "DEBUG": "dim",
                "TRACE": "dim"}


def pick_source(source: str):
    """The log backend to read: explicit choice, else Loki if set/answering, else files."""
    ep = endpoints()
    if source == "loki" or (source == "auto" and ep.loki_explicit):
        return LokiClient(ep.loki)
    if source == "auto":
        loki = LokiClient(ep.loki)
        if loki.health()[0]:
            return loki
    return LogStore(ep.log_dir)


def fetch(source, flt: LogFilter, limit: int) -> list[LogEntry]:
    """Matching entries, oldest first, at most ``limit`` (the newest ones)."""
    if isinstance(source, LokiClient):
        now_ns = time.time_ns()
        start, end = flt.since_ns or now_ns - 3600 * 10**9, flt.until_ns or now_ns
        if limit:
            entries = source.query_range(build_logql(flt), start_ns=start, end_ns=end,
                                         limit=min(limit, LOKI_PAGE))
        else:
            entries = source.query_all(build_logql(flt), start_ns=start, end_ns=end, page=LOKI_PAGE)
    else:
        if not source.directory.is_dir():
            raise BackendError("native log store", str(source.directory),
                               "directory does not exist — is the stack up (no Loki answered either)? "
                               "set --log-dir/VIBES_LOG_DIR or --loki-url")
        entries = [e for e in source.read_all() if flt.matches(e)]
    return entries[-limit:] if limit else entries


def render(entry: LogEntry) -> None:
    style = _LEVEL_STYLE.get(entry.level, "")
    ctx = " ".join(f"{k}={v}" for k, v in (("session", entry.session_id), ("agent", entry.agent),
                                           ("trace", entry.trace_id[:16])) if v)
    level = f"[{style}]{entry.level:<5}[/]" if style else f"{entry.level:<5}"
    console.print(f"[dim]{fmt_time(entry.time_ns / 1e9)}[/] {level} "
                  f"[cyan]{escape(entry.service)}[/] {escape(entry.body.rstrip())}"
                  + (f"  [dim]{escape(ctx)}[/]" if ctx else ""))


@click.command()
@click.option("--session", help="Only this session (gen_ai.conversation.id).")
@click.option("--agent", help="Only this agent name (gen_ai.agent.name).")
@click.option("--service", help="Only this service (service.name).")
@click.option("--trace-id", help="Only records of this trace.")
@click.option("--level", help="Minimum level: trace, debug, info, warn, error, fatal.")
@click.option("--since", default="1h", show_default=True, help="Window start: 15m, 2h, 7d or ISO time.")
@click.option("--until", "until", default="now", show_default=True, help="Window end.")
@click.option("--grep", help="Regular expression matched against the message.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(min=0),
              help="At most this many (newest) records; 0 = all.")
@click.option("--follow", "-f", is_flag=True, help="Keep printing new records (Ctrl-C to stop).")
@click.option("--source", type=click.Choice(["auto", "loki", "files"]), default="auto",
              show_default=True, help="Where to read logs from.")
@json_option
def logs(session, agent, service, trace_id, level, since, until, grep, limit, follow, source, as_json) -> None:
    """Search agent logs by session, agent, trace, level and text."""
    try:
        level = normalize_level(level) if level else None
    except ValueError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[1], param_hint="--level") from None
    flt = LogFilter(session=session, agent=agent, service=service, trace_id=trace_id, level=level, grep=grep,
                    since_ns=int(parse_time(since, "--since") * 1e9),
                    until_ns=None if until == "now" else int(parse_time(until, "--until") * 1e9))
    src = pick_source(source)
    entries = fetch(src, flt, limit)
    if as_json:
        for entry in entries:
            click.echo(_json_line(entry))
    else:
        err_console.print(f"[dim]{len(entries)} record(s) from {src.describe()}[/]")
        for entry in entries:
            render(entry)
    if follow:
        _follow(src, flt, entries, as_json)


def _json_line(entry: LogEntry) -> str:
    return json.dumps(entry.to_dict(), default=str)


def _follow(src, flt: LogFilter, seen: list[LogEntry], as_json: bool) -> None:
    last_ns = seen[-1].time_ns if seen else flt.since_ns or 0
    try:
        while True:
            time.sleep(1.0)
            if isinstance(src, LokiClient):
                window = dataclasses.replace(flt, since_ns=last_ns + 1, until_ns=None)
                new = fetch(src, window, 1000)
            else:
                new = [e for e in src.read_new() if flt.matches(e)]
            for entry in new:
                click.echo(_json_line(entry)) if as_json else render(entry)
                last_ns = max(last_ns, entry.time_ns)
    except KeyboardInterrupt:
        pass

"""`vibes observe logs`: Loki when it is configured or answers, else VictoriaLogs (the native log
database); `logs import` loads the old native file store into it."""

from __future__ import annotations

import dataclasses
import json
import signal
import time

import click
from rich.markup import escape

from vibes_observe.clients import BackendError
from vibes_observe.clients.logs_model import LogEntry, LogFilter, normalize_level
from vibes_observe.clients.logstore import LogStore, pending_import
from vibes_observe.clients.loki import LokiClient, build_logql
from vibes_observe.clients.victorialogs import VictoriaLogsClient, check_grep
from vibes_observe.commands.logs_import import import_logs
from vibes_observe.commands._common import (console, endpoints, err_console,
                                            fmt_time, json_option, parse_time)

LOKI_PAGE = 5000  # Loki's default max_entries_limit_per_query
_LEVEL_STYLE = {"ERROR": "red", "FATAL": "bold red", "WARN": "yellow", "DEBUG": "dim",
                "TRACE": "dim"}
SOURCES = ("auto", "loki", "victorialogs", "files")
FOLLOW_BACKLOG_S = 60  # --follow: how far back the live tail starts when nothing was printed yet


def pick_source(source: str):
    """The log backend to read: explicit choice, else Loki if set/answering, else VictoriaLogs.

    ``files`` reads the old native file store (OTLP-JSON) directly: slow, kept for old data."""
    ep = endpoints()
    if source == "files":
        return LogStore(ep.log_dir)
    if source == "loki" or (source == "auto" and ep.loki_explicit):
        return LokiClient(ep.loki)
    if source == "auto" and not ep.victorialogs_explicit:
        loki = LokiClient(ep.loki)
        if loki.health()[0]:
            return loki
    return VictoriaLogsClient(ep.victorialogs)


def old_store_note() -> str | None:
    """Where logs of the old native file store are, when there are any: nothing is silently abandoned."""
    files = pending_import(endpoints().log_dir)
    if not files:
        return None
    return (f"{len(files)} file(s) of the old native log store in {endpoints().log_dir} are not searched; "
            "load them with `vibes observe logs import`")


def fetch(source, flt: LogFilter, limit: int) -> list[LogEntry]:
    """Matching entries, oldest first, at most ``limit`` (the newest ones)."""
    now_ns = time.time_ns()
    start, end = flt.since_ns or now_ns - 3600 * 10**9, flt.until_ns or now_ns
    if isinstance(source, VictoriaLogsClient):  # window, filters, newest-N: all inside the database
        return source.query(flt, start_ns=start, end_ns=end, limit=limit)
    if isinstance(source, LokiClient):
        if limit:
            entries = source.query_range(build_logql(flt), start_ns=start, end_ns=end,
                                         limit=min(limit, LOKI_PAGE))
        else:
            entries = source.query_all(build_logql(flt), start_ns=start, end_ns=end, page=LOKI_PAGE)
    else:
        if not source.directory.is_dir():
            raise BackendError("native log store", str(source.directory),
                               "directory does not exist — set --log-dir/VIBES_LOG_DIR to the old file store")
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


@click.group(invoke_without_command=True)
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
@click.option("--source", type=click.Choice(SOURCES), default="auto", show_default=True,
              help="Where to read logs from (files: the old native file store, read directly).")
@json_option
@click.pass_context
def logs(ctx, session, agent, service, trace_id, level, since, until, grep, limit, follow, source,
         as_json) -> None:
    """Search agent logs by session, agent, trace, level and text."""
    if ctx.invoked_subcommand:
        return
    try:
        level = normalize_level(level) if level else None
    except ValueError as exc:
        raise click.BadParameter(str(exc).split(": ", 1)[1], param_hint="--level") from None
    if grep:
        try:
            check_grep(grep)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--grep") from None
    flt = LogFilter(session=session, agent=agent, service=service, trace_id=trace_id, level=level, grep=grep,
                    since_ns=int(parse_time(since, "--since") * 1e9),
                    until_ns=None if until == "now" else int(parse_time(until, "--until") * 1e9))
    if not follow:
        _list(source, flt, limit, as_json)
        return
    stop_on_signals()  # before the first read: a signal then ends it too
    try:
        src, entries = _list(source, flt, limit, as_json)
        _follow(src, flt, entries, as_json)
    except FollowStopped:
        pass


def _list(source: str, flt: LogFilter, limit: int, as_json: bool):
    src = pick_source(source)
    entries = fetch(src, flt, limit)
    if as_json:
        for entry in entries:
            click.echo(_json_line(entry))
    else:
        err_console.print(f"[dim]{len(entries)} record(s) from {src.describe()}[/]")
        note = old_store_note() if isinstance(src, VictoriaLogsClient) else None
        if note:
            err_console.print(f"[yellow]note: {escape(note)}[/]")
        for entry in entries:
            render(entry)
    return src, entries


def _json_line(entry: LogEntry) -> str:
    return json.dumps(entry.to_dict(), default=str)


class FollowStopped(Exception):
    """SIGINT or SIGTERM arrived while following."""


def stop_on_signals() -> None:
    """SIGINT and SIGTERM end --follow, whatever disposition the process inherited.

    A background job of a non-interactive shell starts with SIGINT ignored, and Python
    then installs no KeyboardInterrupt handler: Ctrl-C / kill -INT would never stop --follow.
    Raising from the handler also interrupts a blocking read (VictoriaLogs' live tail).
    """
    def stop(signum, frame):
        raise FollowStopped(signum)
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)


def _follow(src, flt: LogFilter, seen: list[LogEntry], as_json: bool) -> None:
    last_ns = seen[-1].time_ns if seen else flt.since_ns or 0
    if isinstance(src, VictoriaLogsClient):  # its live tail streams records as they arrive
        backlog_s = min(FOLLOW_BACKLOG_S, max(0.0, (time.time_ns() - last_ns) / 1e9))
        for entry in src.tail(flt, start_offset_s=backlog_s):
            if entry.time_ns > last_ns:  # the initial listing printed the rest
                click.echo(_json_line(entry)) if as_json else render(entry)
        return
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


logs.add_command(import_logs)

"""`vibes observe export`: traces, logs and metrics of a time window to JSON lines or CSV."""

from __future__ import annotations

import csv
import json
import os
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.logs_model import LogFilter
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands._common import endpoints, err_console, fmt_utc, parse_duration, parse_time
from vibes_observe.commands._spans import model
from vibes_observe.commands.logs import fetch, pick_source
from vibes_sdk import names as n

SIGNALS = ("traces", "logs", "metrics")
_MAX_POINTS = 10_000  # Prometheus refuses more than 11,000 points per series

SPAN_COLUMNS = ("trace_id", "span_id", "parent_id", "name", "service", "start", "start_unix_us",
                "duration_us", "error", "session", "agent", "model", "input_tokens", "output_tokens",
                "cost_usd", "tags")
LOG_COLUMNS = ("time", "time_unix_nano", "level", "service", "body", "trace_id", "span_id",
               "session", "agent", "attributes")
METRIC_COLUMNS = ("metric", "labels", "time", "timestamp", "value")


def metric_names() -> list[str]:
    """Every Prometheus series name the SDK's instruments produce (from names.py)."""
    out: list[str] = []
    for inst in n.INSTRUMENTS:
        out += [inst.prom_bucket, inst.prom_sum, inst.prom_count] if inst.kind == "histogram" else [inst.prom]
    return out


def span_rows(jaeger: JaegerClient, start_us: int, end_us: int, limit: int) -> Iterator[dict[str, Any]]:
    for trace in jaeger.search(start_us=start_us, end_us=end_us, limit=limit):
        for s in sorted(trace.spans, key=lambda s: s.start_us):
            yield {"trace_id": s.trace_id, "span_id": s.span_id, "parent_id": s.parent_id or "",
                   "name": s.name, "service": s.service, "start": fmt_utc(s.start_us / 1e6),
                   "start_unix_us": s.start_us, "duration_us": s.duration_us, "error": s.is_error,
                   "session": s.tag(n.VIBES_SESSION_ID, ""), "agent": s.tag(n.GEN_AI_AGENT_NAME, ""),
                   "model": model(s) or "", "input_tokens": s.tag(n.GEN_AI_USAGE_INPUT_TOKENS, ""),
                   "output_tokens": s.tag(n.GEN_AI_USAGE_OUTPUT_TOKENS, ""),
                   "cost_usd": s.tag(n.VIBES_COST_USD, ""), "tags": s.tags}


def log_rows(start_ns: int, end_ns: int) -> Iterator[dict[str, Any]]:
    for e in fetch(pick_source("auto"), LogFilter(since_ns=start_ns, until_ns=end_ns), 0):
        yield {"time": fmt_utc(e.time_ns / 1e9), "time_unix_nano": e.time_ns, "level": e.level,
               "service": e.service, "body": e.body, "trace_id": e.trace_id, "span_id": e.span_id,
               "session": e.session_id, "agent": e.agent, "attributes": e.attributes}


def metric_rows(prom: PrometheusClient, name: str, start: float, end: float, step: float) -> Iterator[dict[str, Any]]:
    for series in prom.query_range(name, start, end, step):
        labels = {k: v for k, v in series.labels.items() if k != "__name__"}
        for ts, value in series.points:
            yield {"metric": name, "labels": labels, "time": fmt_utc(ts), "timestamp": ts, "value": value}


class _Writer:
    """Writes rows to ``<name>.tmp`` and renames on close, so a file that exists is complete."""

    def __init__(self, path: Path, fmt: str, columns: tuple[str, ...]):
        self.path, self.fmt, self.columns = path, fmt, columns
        self.tmp = path.with_name(path.name + ".tmp")
        self.fh = self.tmp.open("w", newline="", encoding="utf-8")
        self.csv = csv.DictWriter(self.fh, fieldnames=columns) if fmt == "csv" else None
        if self.csv:
            self.csv.writeheader()
        self.count = 0

    def write(self, row: dict[str, Any]) -> None:
        if self.csv:
            self.csv.writerow({k: json.dumps(v, sort_keys=True) if isinstance(v, (dict, list)) else v
                               for k, v in row.items()})
        else:
            self.fh.write(json.dumps(row, default=str) + "\n")
        self.count += 1

    def close(self) -> None:
        self.fh.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        self.fh.close()
        self.tmp.unlink(missing_ok=True)


def _drain(rows: Iterable[dict[str, Any]], writer: _Writer, progress: Progress, task) -> None:
    for row in rows:
        writer.write(row)
        progress.update(task, description=f"{writer.path.name}: {writer.count} rows")


def _window(since: str, until: str, step: str) -> tuple[float, float, float]:
    now = time.time()
    start, end = parse_time(since, "--since", now), parse_time(until, "--until", now)
    if end <= start:
        raise click.BadParameter(f"window is empty: {since!r} is not before {until!r}", param_hint="--since/--until")
    return start, end, max(parse_duration(step, "--step"), (end - start) / _MAX_POINTS)


def write_signal(signal: str, path: Path, fmt: str, start: float, end: float, step_s: float,
                 trace_limit: int, progress: Progress) -> int:
    """Write one signal's rows of the window to ``path`` (complete or not at all); row count."""
    ep = endpoints()
    columns = {"traces": SPAN_COLUMNS, "logs": LOG_COLUMNS, "metrics": METRIC_COLUMNS}[signal]
    writer = _Writer(path, fmt, columns)
    try:
        if signal == "traces":
            task = progress.add_task(f"{signal}: searching Jaeger", total=None)
            _drain(span_rows(JaegerClient(ep.jaeger), int(start * 1e6), int(end * 1e6), trace_limit),
                   writer, progress, task)
        elif signal == "logs":
            task = progress.add_task(f"{signal}: reading", total=None)
            _drain(log_rows(int(start * 1e9), int(end * 1e9)), writer, progress, task)
        else:
            prom = PrometheusClient(ep.prometheus)
            names = metric_names()
            task = progress.add_task("metrics", total=len(names))
            for name in names:
                for row in metric_rows(prom, name, start, end, step_s):
                    writer.write(row)
                progress.update(task, advance=1, description=f"{writer.path.name}: {writer.count} rows")
        progress.update(task, total=progress.tasks[task].completed or 1,
                        completed=progress.tasks[task].completed or 1)
    except BaseException:
        writer.abort()
        raise
    writer.close()
    return writer.count


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=err_console, transient=False)


_since = click.option("--since", default="1h", show_default=True, help="Window start: 15m, 2h, 7d or ISO time.")
_until = click.option("--until", default="now", show_default=True, help="Window end.")
_step = click.option("--step", default="60s", show_default=True, help="Metric resolution.")
_trace_limit = click.option("--trace-limit", default=10_000, show_default=True, type=click.IntRange(min=1),
                            help="Most traces read per service.")


@click.group(invoke_without_command=True)
@_since
@_until
@click.option("--signals", default=",".join(SIGNALS), show_default=True,
              help="Comma-separated: traces, logs, metrics.")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Directory to write traces/logs/metrics files into.")
@_step
@_trace_limit
@click.pass_context
def export(ctx, since, until, signals, fmt, out_dir: Path | None, step, trace_limit) -> None:
    """Export a window's traces, logs and metrics: `export logs FILE`, or all signals with --out DIR."""
    if ctx.invoked_subcommand:
        return
    if out_dir is None:
        raise click.UsageError("give --out DIR, or one signal and a file: "
                               "`vibes observe export logs|metrics|traces FILE`")
    wanted = [s.strip() for s in signals.split(",") if s.strip()]
    for s in wanted:
        if s not in SIGNALS:
            raise click.BadParameter(f"{s!r}: expected traces, logs or metrics", param_hint="--signals")
    start, end, step_s = _window(since, until, step)
    out_dir.mkdir(parents=True, exist_ok=True)
    summary = []
    with _progress() as progress:
        for signal in wanted:
            path = out_dir / f"{signal}.{fmt}"
            count = write_signal(signal, path, fmt, start, end, step_s, trace_limit, progress)
            summary.append(f"{count} {signal} rows → {path}")
    for line in summary:
        click.echo(line)


def _signal_command(signal: str) -> click.Command:
    @click.command(signal)
    @click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
    @_since
    @_until
    @click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]),
                  help="Default: csv when FILE ends in .csv, else jsonl.")
    @_step
    @_trace_limit
    def command(file: Path, since, until, fmt, step, trace_limit) -> None:
        start, end, step_s = _window(since, until, step)
        fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "jsonl")
        if file.parent and not file.parent.is_dir():
            raise click.BadParameter(f"{file.parent}: no such directory", param_hint="FILE")
        with _progress() as progress:
            count = write_signal(signal, file, fmt, start, end, step_s, trace_limit, progress)
        click.echo(f"{count} {signal} rows → {file}")

    command.help = f"Export the window's {signal} to FILE (JSON lines, or CSV for *.csv)."
    return command


for _signal in SIGNALS:
    export.add_command(_signal_command(_signal))

"""Shared CLI plumbing: endpoints on the context, time parsing, output helpers."""

from __future__ import annotations

import json
import sys
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import click
from rich.console import Console

from vibes_observe import durations
from vibes_observe.clients import Endpoints
from vibes_observe.queries import report

# Piped output is not cut to 80 columns: tables and trees keep their full text.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 240)
err_console = Console(stderr=True, highlight=False)


def endpoints(ctx: click.Context | None = None) -> Endpoints:
    ctx = ctx or click.get_current_context()
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}  # set by the `observe` group, inherited
    return obj.get("endpoints") or Endpoints.resolve()


def parse_duration(text: str, option: str = "duration") -> float:
    """``90s``, ``15m``, ``2h``, ``7d``, ``1w`` → seconds; else a BadParameter naming the option."""
    try:
        return float(durations.seconds(text.strip() if isinstance(text, str) else text))
    except durations.DurationError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def _is_duration(text: str) -> bool:
    try:
        durations.seconds(text.strip())
    except durations.DurationError:
        return False
    return True


def parse_time(text: str, option: str = "time", now: float | None = None) -> float:
    """A point in time: ``now``, a duration ago (``2h``), or ISO 8601 → unix seconds."""
    now = time.time() if now is None else now
    if text == "now":
        return now
    if _is_duration(text):
        return now - parse_duration(text, option)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is neither a duration (15m, 2h, 7d) nor an ISO time (2026-01-31T12:00)",
            param_hint=option) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # naive: the user's local time
    return parsed.timestamp()


def period_start(period: str, now: datetime | None = None) -> datetime | None:
    """:func:`report.period_start`; a period it does not know is a bad ``--period``."""
    try:
        return report.period_start(period, now)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--period") from None


def fmt_time(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s).astimezone().strftime("%Y-%m-%d %H:%M:%S")


def fmt_utc(unix_s: float) -> str:
    return datetime.fromtimestamp(unix_s, timezone.utc).isoformat().replace("+00:00", "Z")


def fmt_duration_us(us: float) -> str:
    if us < 1000:
        return f"{us:.0f}µs"
    if us < 1_000_000:
        return f"{us / 1000:.1f}ms"
    return f"{us / 1_000_000:.2f}s"


def fmt_seconds(s: float | None) -> str:
    return "-" if s is None else fmt_duration_us(s * 1_000_000)


def fmt_usd(value: float | None) -> str:
    if value is None:
        return "-"
    return f"${value:,.4f}" if value < 100 else f"${value:,.2f}"


def fmt_int(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def cost_text(cost: float | None, unpriced: float) -> str:
    """Dollars, flagged when some usage had no price; never '$0' for unpriced-only usage."""
    if cost is None:
        return "[yellow]unknown (unpriced)[/]"
    return fmt_usd(cost) + ("[yellow]+?[/]" if unpriced else "")


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of tables.")


class CommandError(click.ClickException):
    """Bad input or state, said in one line; exit code 2 like an unreachable backend."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)

"""`vibes observe dashboard`: the live terminal dashboard (see vibes_observe.tui)."""

from __future__ import annotations

import click
from rich.console import Console

from vibes_observe import tui
from vibes_observe.commands._common import endpoints, parse_duration


@click.command()
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Seconds between refreshes.")
@click.option("--window", default="1h", show_default=True, help="Window for requests/latency/tokens.")
@click.option("--agent", help="Only this agent.")
@click.option("--cost-center", help="Only this cost center.")
@click.option("--once", is_flag=True, help="Print one frame and exit (no live screen).")
def dashboard(interval, window, agent, cost_center, once) -> None:
    """Live TUI: requests, error rate, latency, tokens, cost today, top models, agents, alerts."""
    window_s = int(parse_duration(window, "--window"))
    ep = endpoints()
    filters = {"agent": agent, "cost_center": cost_center}
    if once:
        console = Console(width=160, height=30)
        console.print(tui.render(tui.gather(ep, window, window_s, filters)), height=30)
        return
    tui.run(ep, window=window, window_s=window_s, interval=interval, console=Console(), filters=filters)

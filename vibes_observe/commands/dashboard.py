"""`vibes observe dashboard`: the live terminal dashboard (see vibes_observe.tui)."""

from __future__ import annotations

import click

from vibes_observe.commands._common import endpoints

RANGE_KEYS = ("1h", "24h", "7d")


@click.command()
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.5),
              help="Seconds between refreshes.")
@click.option("--range", "range_key", type=click.Choice(RANGE_KEYS), default="1h", show_default=True,
              help="Time range at start (keys 1/2/3 switch it).")
@click.option("--window", type=click.Choice(RANGE_KEYS), hidden=True)  # the earlier spelling of --range
@click.option("--agent", help="Only this agent.")
@click.option("--cost-center", help="Only this cost center.")
@click.option("--once", is_flag=True, help="Print the figures once as text and exit (no live screen).")
def dashboard(interval, range_key, window, agent, cost_center, once) -> None:
    """Live TUI: requests, tokens, cost, latency, rates, sessions, agents, tools, alerts.

    Keys: 1/2/3 range 1h/24h/7d · o/c/a/s view overview/cost/agents/sessions ·
    Enter on a session: its trace tree · r refresh · q quit."""
    range_key = window or range_key
    ep = endpoints()
    filters = {"agent": agent, "cost_center": cost_center}
    if once:
        from vibes_observe.tui.text import print_once
        print_once(ep, range_key, filters)
        return
    from vibes_observe.tui.app import Dashboard
    Dashboard(ep, range_key=range_key, interval=interval, filters=filters).run()

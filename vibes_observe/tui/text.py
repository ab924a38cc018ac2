"""`dashboard --once`: the same panels as plain tables on stdout."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from vibes_observe.clients import Endpoints
from vibes_observe.tui import view
from vibes_observe.tui.snapshot import RANGES, gather


def _table(title: str, data: view.Table) -> Table:
    columns, rows = data
    table = Table(title=title, title_justify="left")
    for col in columns:
        table.add_column(col)
    for row in rows:
        table.add_row(*row)
    return table


def print_once(ep: Endpoints, range_key: str, filters: dict[str, str | None]) -> None:
    snap = gather(ep, range_key, filters)
    out = Console(highlight=False, width=200)
    out.print(f"vibes observe dashboard · last {range_key}", markup=False)
    for backend, reason in snap.errors.items():
        out.print(f"{backend} unavailable: {reason}", style="red", markup=False)
    for _, title, value in view.tiles(snap):
        out.print(f"{title}: {value}", markup=False)
    if not snap.down("metrics"):
        out.print(view.chart_title(snap, RANGES[range_key][1]), markup=False)
        out.print(_table("top models", view.figures_table(snap.by_model)))
        out.print(_table("top tools", view.tools_table(snap)))
    if not snap.down("alerts"):
        out.print(_table("firing alerts", view.alerts_table(snap)))

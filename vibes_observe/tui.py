"""The `vibes observe dashboard` TUI: a rich Live screen refreshed every few seconds.

Each panel is fed independently, so one backend being down greys out its panels with
the reason instead of taking the whole screen down. Quit with q or Ctrl-C."""

from __future__ import annotations

import os
import select
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rich.console import Console, Group
from rich.layout import Layout
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from vibes_observe.clients import BackendError, Endpoints
from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands._common import fmt_int, fmt_seconds, fmt_usd
from vibes_sdk import names as n


@dataclass
class Snapshot:
    taken_at: float
    window: str
    summary: dict[str, Any] | None = None
    by_model: dict[str, Any] | None = None
    by_agent: dict[str, Any] | None = None
    cost_today: dict[str, Any] | None = None
    active: dict[str, float | None] = field(default_factory=dict)
    alerts: list[dict[str, Any]] | None = None
    errors: dict[str, str] = field(default_factory=dict)


def gather(ep: Endpoints, window: str, window_s: int,
           filters: dict[str, str | None] | None = None) -> Snapshot:
    from vibes_observe.commands.cost import prometheus_costs
    from vibes_observe.commands.metrics import summary

    snap = Snapshot(taken_at=time.time(), window=window)
    prom = PrometheusClient(ep.prometheus, timeout=5)
    try:
        filters = filters or {}
        snap.summary = summary(prom, window_s, filters)
        snap.by_model = summary(prom, window_s, filters, "model")
        snap.by_agent = summary(prom, window_s, filters, "agent")
        snap.cost_today = prometheus_costs(prom, ("today",), (), filters)["periods"]["today"]
        for key, inst in (("sessions", n.SESSION_ACTIVE), ("agents", n.AGENT_ACTIVE), ("swarms", n.SWARM_ACTIVE)):
            samples = prom.query(f"sum({inst.prom})")
            snap.active[key] = samples[0].value if samples else None
    except BackendError as exc:
        snap.errors["prometheus"] = str(exc)
    try:
        snap.alerts = AlertmanagerClient(ep.alertmanager, timeout=5).alerts()
    except BackendError as exc:
        snap.errors["alertmanager"] = str(exc)
    return snap


def _tile(title: str, value: str, style: str = "bold") -> Panel:
    return Panel(Text.from_markup(f"[{style}]{value}[/]", justify="center"), title=title, padding=(0, 1))


def render(snap: Snapshot) -> Layout:
    layout = Layout()
    layout.split_column(Layout(name="head", size=1), Layout(name="tiles", size=3),
                        Layout(name="body"), Layout(name="foot", size=1))
    stamp = datetime.fromtimestamp(snap.taken_at).strftime("%H:%M:%S")
    layout["head"].update(Text.from_markup(
        f"[bold]vibes observe dashboard[/]  last {snap.window}  updated {stamp}"))
    layout["foot"].update(Text.from_markup("[dim]q or Ctrl-C to quit[/]"))
    s = snap.summary
    if s is None:
        layout["tiles"].update(Panel(Text(snap.errors.get("prometheus", "no data"), style="red"),
                                     title="Prometheus"))
    else:
        rate = s["error_rate"]
        tok = s["tokens"]
        cost = snap.cost_today or {}
        unpriced = cost.get("unpriced_requests") or 0
        cost_str = fmt_usd(cost.get("cost_usd")) + (f" +{fmt_int(unpriced)} unpriced" if unpriced else "")
        active = " / ".join("n/a" if snap.active.get(k) is None else fmt_int(snap.active[k])
                            for k in ("sessions", "agents"))
        tiles = Layout()
        tiles.split_row(
            Layout(_tile("requests", fmt_int(s["requests"]))),
            Layout(_tile("error rate", "-" if rate is None else f"{rate * 100:.1f}%",
                         "bold red" if rate and rate > 0.05 else "bold green")),
            Layout(_tile("latency p50/p95/p99", " / ".join(fmt_seconds(s[f"latency_p{q}_s"]) for q in (50, 95, 99))),
                   ratio=2),
            Layout(_tile("tokens in/out", f"{fmt_int(tok.get(n.TOKEN_INPUT, 0))} / {fmt_int(tok.get(n.TOKEN_OUTPUT, 0))}")),
            Layout(_tile("cost today", cost_str, "bold yellow" if unpriced else "bold"), ratio=2),
            Layout(_tile("active sess/agents", active)))
        layout["tiles"].update(tiles)
    body = Layout()
    body.split_row(Layout(name="models"), Layout(name="agents"), Layout(name="alerts"))
    body["models"].update(_top_table("top models", snap.by_model, snap.errors.get("prometheus")))
    body["agents"].update(_top_table("agents", snap.by_agent, snap.errors.get("prometheus")))
    body["alerts"].update(_alerts_panel(snap))
    layout["body"].update(body)
    return layout


def _top_table(title: str, rows: dict[str, Any] | None, error: str | None) -> Panel:
    if rows is None:
        return Panel(Text(error or "no data", style="red"), title=title)
    table = Table(expand=True, box=None)
    for col in ("name", "req", "err%", "tok in+out", "cost"):
        table.add_column(col, justify="left" if col == "name" else "right", no_wrap=col != "name")
    ranked = sorted(rows.items(), key=lambda kv: -(kv[1]["requests"] or 0))[:8]
    for name, f in ranked:
        rate = f["error_rate"]
        cost = f["cost_usd"]
        table.add_row(escape(name), fmt_int(f["requests"]), "-" if rate is None else f"{rate * 100:.0f}%",
                      fmt_int(f["tokens"].get(n.TOKEN_INPUT, 0) + f["tokens"].get(n.TOKEN_OUTPUT, 0)),
                      "[yellow]unpriced[/]" if cost is None else fmt_usd(cost)
                      + ("[yellow]+?[/]" if f["unpriced_requests"] else ""))
    if not ranked:
        return Panel(Text("no requests in this window", style="dim"), title=title)
    return Panel(table, title=title)


def _alerts_panel(snap: Snapshot) -> Panel:
    if snap.alerts is None:
        return Panel(Text(snap.errors.get("alertmanager", "no data"), style="red"), title="firing alerts")
    if not snap.alerts:
        return Panel(Text("none firing", style="green"), title="firing alerts")
    lines = []
    for a in sorted(snap.alerts, key=lambda a: a["labels"].get("severity", "")):
        sev = a["labels"].get("severity", "")
        style = {"critical": "bold red", "warning": "yellow"}.get(sev, "cyan")
        lines.append(Text.from_markup(f"[{style}]{escape(sev or '-'):<8}[/] {escape(a['labels'].get('alertname', '?'))}"))
    return Panel(Group(*lines), title=f"firing alerts ({len(snap.alerts)})", border_style="red")


class _KeyWatcher:
    """Reads single keys from a terminal without Enter; sets ``quit`` on q/Q."""

    def __init__(self) -> None:
        self.quit = threading.Event()
        self._saved = None

    def __enter__(self) -> "_KeyWatcher":
        if sys.stdin.isatty():
            import termios
            import tty
            self._saved = termios.tcgetattr(sys.stdin.fileno())
            tty.setcbreak(sys.stdin.fileno())
            threading.Thread(target=self._loop, daemon=True).start()
        return self

    def _loop(self) -> None:
        fd = sys.stdin.fileno()
        while not self.quit.is_set():
            ready, _, _ = select.select([fd], [], [], 0.2)
            if ready and os.read(fd, 1) in (b"q", b"Q"):
                self.quit.set()

    def __exit__(self, *exc) -> None:
        self.quit.set()
        if self._saved is not None:
            import termios
            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)


def run(ep: Endpoints, *, window: str, window_s: int, interval: float, console: Console,
        filters: dict[str, str | None] | None = None) -> None:
    with _KeyWatcher() as keys, Live(render(gather(ep, window, window_s, filters)), console=console,
                                     screen=True, auto_refresh=False) as live:
        try:
            while True:
                deadline = time.monotonic() + interval
                while time.monotonic() < deadline:
                    if keys.quit.wait(0.1):
                        return
                live.update(render(gather(ep, window, window_s, filters)), refresh=True)
        except KeyboardInterrupt:
            return

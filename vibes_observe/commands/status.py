"""`vibes observe status`: one line per backend — reachable or not, and where."""

from __future__ import annotations

import click

from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.logstore import pending_import
from vibes_observe.clients.loki import LokiClient
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.clients.victorialogs import VictoriaLogsClient
from vibes_observe.commands._common import console, emit_json, endpoints, json_option


def collect() -> list[dict]:
    ep = endpoints()
    rows = []
    for name, client in (("prometheus", PrometheusClient(ep.prometheus)), ("jaeger", JaegerClient(ep.jaeger)),
                         ("alertmanager", AlertmanagerClient(ep.alertmanager))):
        ok, detail = client.health()
        rows.append({"backend": name, "url": client.url, "reachable": ok, "required": True, "detail": detail})
    ok, detail = LokiClient(ep.loki).health()
    rows.append({"backend": "loki", "url": ep.loki, "reachable": ok, "required": ep.loki_explicit,
                 "detail": detail if ok or ep.loki_explicit else f"{detail}; logs are read from VictoriaLogs"})
    vl_ok, vl_detail = VictoriaLogsClient(ep.victorialogs).health()
    rows.append({"backend": "victorialogs", "url": ep.victorialogs, "reachable": vl_ok,
                 "required": ep.victorialogs_explicit or (not ok and not ep.loki_explicit), "detail": vl_detail})
    old = pending_import(ep.log_dir)
    if old:  # logs of the old native file store: say where they are and how to load them
        rows.append({"backend": "old-log-store", "url": str(ep.log_dir), "reachable": True, "required": False,
                     "detail": f"{len(old)} file(s) not searched; `vibes observe logs import` loads them"})
    return rows


def _print(rows: list[dict]) -> None:
    width = max(len(r["backend"]) for r in rows)
    for r in rows:
        mark = "[green]up  [/]" if r["reachable"] else ("[red]DOWN[/]" if r["required"] else "[yellow]off [/]")
        console.print(f"{mark} {r['backend']:<{width}}  {r['url']}  [dim]{r['detail']}[/]")


def _exit_code(rows: list[dict]) -> int:
    return 1 if any(r["required"] and not r["reachable"] for r in rows) else 0


def overview() -> int:
    """`vibes observe` alone: the stack's URLs, whether each answers, where to go next."""
    rows = collect()
    _print(rows)
    console.print("[dim]commands: vibes observe --help · live dashboard: vibes observe dashboard[/]")
    return _exit_code(rows)


@click.command()
@json_option
@click.pass_context
def status(ctx, as_json) -> None:
    """Is each backend reachable? Exit 1 when a required one is not."""
    rows = collect()
    if as_json:
        emit_json(rows)
    else:
        _print(rows)
    ctx.exit(_exit_code(rows))

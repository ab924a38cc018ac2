"""`vibes observe alerts`: firing alerts, silences, and user alert-rule files."""

from __future__ import annotations

import getpass
import re
from datetime import datetime, timedelta
from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands import _rules, alert_rules
from vibes_observe.commands._common import (console, emit_json, endpoints, json_option,
                                            parse_duration)

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")
_SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def parse_matcher(text: str) -> dict:
    """``name=value``, ``name!=value``, ``name=~regex``, ``name!~regex`` → API v2 matcher."""
    m = _MATCHER.match(text)
    if not m:
        raise click.BadParameter(f"{text!r}: expected label=value, label!=value, label=~regex or label!~regex",
                                 param_hint="MATCHER")
    name, op, value = m.groups()
    value = value.strip('"')
    return {"name": name, "value": value, "isRegex": "~" in op, "isEqual": not op.startswith("!")}


def _since(iso: str) -> str:
    try:
        start = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    secs = int((datetime.now(start.tzinfo) - start).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if secs >= size:
            return f"{secs // size}{unit} ago"
    return f"{max(secs, 0)}s ago"


@click.group(invoke_without_command=True)
@click.option("--all", "show_all", is_flag=True, help="Include silenced and inhibited alerts.")
@click.option("--filter", "filters", multiple=True, metavar="MATCHER", help="e.g. severity=critical (repeatable).")
@json_option
@click.pass_context
def alerts(ctx, show_all, filters, as_json) -> None:
    """Firing alerts from Alertmanager; `list`, `add`, `remove`, `test` alert rules; silences; `rules …` files."""
    if ctx.invoked_subcommand:
        return
    for f in filters:
        parse_matcher(f)
    am = AlertmanagerClient(endpoints().alertmanager)
    found = am.alerts(active=True, silenced=show_all, inhibited=show_all, filters=list(filters))
    if as_json:
        emit_json(found)
        return
    if not found:
        console.print(f"no firing alerts (Alertmanager {am.url})")
        return
    table = Table(title=f"{len(found)} alert(s) from Alertmanager {am.url}")
    for col in ("alert", "severity", "state", "since", "summary", "labels"):
        table.add_column(col)
    for a in sorted(found, key=lambda a: (a["labels"].get("severity", ""), a["labels"].get("alertname", ""))):
        labels = a.get("labels", {})
        sev = labels.get("severity", "")
        extra = ", ".join(f"{k}={v}" for k, v in sorted(labels.items()) if k not in ("alertname", "severity"))
        table.add_row(escape(labels.get("alertname", "?")),
                      f"[{_SEVERITY_STYLE.get(sev, '')}]{escape(sev)}[/]" if sev in _SEVERITY_STYLE else escape(sev),
                      a.get("status", {}).get("state", ""), _since(a.get("startsAt", "")),
                      escape(a.get("annotations", {}).get("summary", "")), escape(extra))
    console.print(table)


@alerts.command()
@click.argument("matchers", nargs=-1, required=True)
@click.option("--duration", default="2h", show_default=True, help="How long: 30m, 2h, 1d.")
@click.option("--comment", default="silenced with vibes observe", show_default=True)
@click.option("--author", default=None, help="Created by (default: your user name).")
def silence(matchers, duration, comment, author) -> None:
    """Silence alerts matching MATCHERS, e.g. `alertname=HighErrorRate model=gpt-4o`."""
    parsed = [parse_matcher(m) for m in matchers]
    am = AlertmanagerClient(endpoints().alertmanager)
    silence_id = am.create_silence(parsed, duration=timedelta(seconds=parse_duration(duration, "--duration")),
                                   created_by=author or getpass.getuser(), comment=comment)
    console.print(f"silenced {' '.join(matchers)} for {duration}: silence id {silence_id}")


@alerts.command()
@click.argument("silence_ids", nargs=-1)
@click.option("--alert", "alertname", help="Expire every active silence matching alertname=NAME.")
def unsilence(silence_ids, alertname) -> None:
    """Expire silences by id (or all silences of one alert with --alert)."""
    am = AlertmanagerClient(endpoints().alertmanager)
    ids = list(silence_ids)
    if alertname:
        ids += [s["id"] for s in am.silences() if s["status"]["state"] == "active"
                and any(m["name"] == "alertname" and m["value"] == alertname and m.get("isEqual", True)
                        and not m["isRegex"] for m in s["matchers"])]
    if not ids:
        raise click.UsageError("give silence ids or --alert NAME (see `vibes observe alerts silences`)")
    for sid in ids:
        am.expire_silence(sid)
        console.print(f"expired silence {sid}")


@alerts.command()
@click.option("--expired", is_flag=True, help="Include expired silences.")
@json_option
def silences(expired, as_json) -> None:
    """List silences."""
    am = AlertmanagerClient(endpoints().alertmanager)
    found = [s for s in am.silences() if expired or s["status"]["state"] != "expired"]
    if as_json:
        emit_json(found)
        return
    if not found:
        console.print(f"no silences (Alertmanager {am.url})")
        return
    table = Table(title=f"silences in Alertmanager {am.url}")
    for col in ("id", "state", "matchers", "ends", "by", "comment"):
        table.add_column(col)
    for s in found:
        ms = " ".join(f"{m['name']}{'' if m.get('isEqual', True) else '!'}{'=~' if m['isRegex'] else '='}{m['value']}"
                      for m in s["matchers"])
        table.add_row(s["id"], s["status"]["state"], escape(ms), s["endsAt"], escape(s.get("createdBy", "")),
                      escape(s.get("comment", "")))
    console.print(table)


for _command in (alert_rules.alerts_list, alert_rules.alerts_add, alert_rules.alerts_remove,
                 alert_rules.alerts_test):
    alerts.add_command(_command)


# ------------------------------------------------------------------------ rules
@alerts.group()
def rules() -> None:
    """Alert rules: list what Prometheus runs, check and add user rule files."""


@rules.command("list")
@json_option
def rules_list(as_json) -> None:
    """Rule groups Prometheus has loaded, with each alert's state."""
    prom = PrometheusClient(endpoints().prometheus)
    groups = prom.rules()
    if as_json:
        emit_json(groups)
        return
    user_dir = str(_rules.user_rules_dir())
    table = Table(title=f"rules loaded by Prometheus {prom.url}")
    for col in ("group", "rule", "type", "state", "health", "file"):
        table.add_column(col)
    for g in groups:
        for r in g.get("rules", []):
            state = r.get("state", "-") if r.get("type") == "alerting" else "-"
            style = {"firing": "bold red", "pending": "yellow"}.get(state)
            health = r.get("health", "")
            table.add_row(escape(g["name"]), escape(r["name"]), r.get("type", ""),
                          f"[{style}]{state}[/]" if style else state,
                          health if health in ("ok", "unknown") else f"[red]{escape(health)}: {escape(r.get('lastError', ''))}[/]",
                          ("user: " if str(Path(g.get("file", "")).parent) == user_dir else "")
                          + escape(Path(g.get("file", "")).name))
    console.print(table)


@rules.command("check")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_check(file: Path) -> None:
    """Validate a rule file with `promtool check rules` (changes nothing)."""
    try:
        result = _rules.check(file)
    except _rules.RuleError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(escape(result.output))
    if not result.ok:
        raise click.ClickException(f"{file}: invalid rule file")


@rules.command("add")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--name", help="Install under this file name (default: FILE's name).")
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path),
              help="User rules dir [env VIBES_RULES_DIR; default $VIBES_HOME/config/prometheus/user-rules].")
@click.option("--no-reload", is_flag=True, help="Install only; do not reload Prometheus.")
def rules_add(file: Path, name, rules_dir, no_reload) -> None:
    """Validate FILE, install it atomically into the stack's rules, reload Prometheus."""
    prom = PrometheusClient(endpoints().prometheus)
    try:
        dest = _rules.install(file, prom, rules_dir=rules_dir, name=name, reload=not no_reload)
    except _rules.RuleError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"installed {dest}" + ("" if no_reload else f"; Prometheus {prom.url} reloaded"))


@rules.command("remove")
@click.argument("name")
@click.option("--rules-dir", type=click.Path(file_okay=False, path_type=Path))
def rules_remove(name, rules_dir) -> None:
    """Remove a user rule file by name and reload Prometheus."""
    prom = PrometheusClient(endpoints().prometheus)
    try:
        dest = _rules.remove(name, prom, rules_dir=rules_dir)
    except _rules.RuleError as exc:
        raise click.ClickException(str(exc)) from None
    console.print(f"removed {dest}; Prometheus {prom.url} reloaded")

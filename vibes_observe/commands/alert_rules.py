"""`vibes observe alerts list|add|remove|test`: alert rules from one line of words.

A rule becomes one generated rule file in the user rules dir, written only after
promtool accepts the whole resulting rule set (``_rules.place``)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from vibes_observe.alerting import oneline
from vibes_observe.alerting.alertmanager import CHANNELS_LABEL
from vibes_observe.alerting.quantities import QUANTITIES, SCOPE_LABELS
from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands import _channels, _rules
from vibes_observe.commands._common import CommandError, console, emit_json, endpoints, json_option

_STATE_STYLE = {"firing": "bold red", "pending": "yellow"}


def scope_options(fn):
    for dim in reversed(tuple(SCOPE_LABELS)):
        flag = "--" + dim.replace("_", "-")
        fn = click.option(flag, dim, metavar="NAME", help=f"Only this {dim.replace('_', ' ')}.")(fn)
    return fn


def _scope(kwargs: dict) -> dict[str, str]:
    return {dim: kwargs.pop(dim) for dim in SCOPE_LABELS if kwargs.get(dim)}


def _manifest_or_none() -> _channels.Manifest | None:
    try:
        return _channels.load()
    except _channels.ChannelError:
        return None


def _source(group: dict, user_dir: Path) -> str:
    path = Path(group.get("file", ""))
    if path.parent != user_dir:
        return "shipped"
    return "alerts add" if group["name"].startswith(oneline.GROUP_PREFIX) else f"user file {path.name}"


def rule_rows(prom: PrometheusClient) -> list[dict]:
    """Every alerting rule Prometheus runs, with state, channels and where it comes from."""
    manifest = _manifest_or_none()
    user_dir = _rules.user_rules_dir()
    rows = []
    for g in prom.rules():
        for r in g.get("rules", []):
            if r.get("type") != "alerting":
                continue
            labels = {"alertname": r["name"], **r.get("labels", {})}
            rows.append({"name": r["name"], "state": r.get("state", ""), "severity": labels.get("severity", ""),
                         "channels": manifest.for_rule(labels, CHANNELS_LABEL) if manifest else None,
                         "rule": r.get("annotations", {}).get(oneline.RULE_ANNOTATION),
                         "source": _source(g, user_dir), "group": g["name"], "file": g.get("file", ""),
                         "health": r.get("health", ""), "firing": len(r.get("alerts", []))})
    return rows


def _parse(text: str, scope: dict[str, str]) -> oneline.OneLineRule:
    try:
        return oneline.parse(text, scope)
    except oneline.RuleError as exc:
        raise CommandError(str(exc)) from None


def _check_model(prom: PrometheusClient, model: str | None) -> None:
    """A model must be priced or already seen by Prometheus (a typo would never fire)."""
    if not model:
        return
    from vibes_sdk.cost import PriceTable
    if PriceTable.load().lookup(model) is not None or model in prom.label_values(SCOPE_LABELS["model"]):
        return
    raise CommandError(f"--model {model!r}: not in the price table and never seen by Prometheus {prom.url}")


@click.command("list", short_help="Alert rules with state, severity and channels.")
@json_option
def alerts_list(as_json) -> None:
    """Every alert rule Prometheus runs: state, severity, channels, source."""
    prom = PrometheusClient(endpoints().prometheus)
    rows = rule_rows(prom)
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} alert rule(s) in Prometheus {prom.url}")
    for col in ("alert", "state", "severity", "channels", "source", "rule"):
        table.add_column(col)
    for r in rows:
        style = _STATE_STYLE.get(r["state"])
        table.add_row(escape(r["name"]), f"[{style}]{r['state']}[/]" if style else r["state"],
                      r["severity"], escape(", ".join(r["channels"]) if r["channels"] is not None else "?"),
                      escape(r["source"]), escape(r["rule"] or ""))
    console.print(table)
    if _manifest_or_none() is None:
        console.print(f"[yellow]channels unknown: no manifest at {_channels.manifest_path()} (run `make up`)[/]")


_GRAMMAR = ("\b\nRULE: <quantity> (>|<|above|below) <number>[%|ms|s|USD] [per|over <window>] [for <duration>]\n"
            "      <quantity> rate of change > <N>% [over <window>]\n"
            "      cost > <N> USD per day|week|month is a calendar-period budget (UTC)\n\n\b\nQuantities:\n"
            + "\n".join(f"  {q.name:<18} {q.about}" for q in QUANTITIES))


@click.command("add", short_help="Add an alert from a rule in words.", epilog=_GRAMMAR)
@click.argument("rule")
@click.option("--name", help="Alert name (CamelCase; default: made from the rule).")
@click.option("--severity", default="warning", show_default=True, help="critical, warning or info.")
@click.option("--channel", "channels", multiple=True, metavar="NAME",
              help="Deliver only to this channel of the stack config (repeatable; default: by severity).")
@click.option("--description", help="Templated description (default: the value and the rule).")
@scope_options
@json_option
def alerts_add(rule, name, severity, channels, description, as_json, **scope) -> None:
    """Add an alert from a rule in words, e.g. "error rate > 5% over 10m"."""
    parsed = _parse(rule, _scope(scope))
    try:
        manifest = _channels.load() if channels else _manifest_or_none()
        if manifest:
            manifest.named(channels)
        alert_name = oneline.check_name(name or oneline.default_name(parsed))
        alert = oneline.to_alert(parsed, name=alert_name, severity=severity, channels=channels,
                                 description=description)
    except (oneline.RuleError, _channels.ChannelError) as exc:
        raise CommandError(str(exc)) from None
    prom = PrometheusClient(endpoints().prometheus)
    _check_model(prom, parsed.scope.get("model"))
    if any(r["name"] == alert_name for r in rule_rows(prom)):
        raise CommandError(f"alert {alert_name!r} exists already: pick another --name or "
                           f"`vibes observe alerts remove {alert_name}` first")
    base = manifest.runbook_base_url if manifest else _default_runbook()
    file_name, text = oneline.rule_file(alert, base)
    try:
        dest = _rules.place(text.encode(), _rules.user_rules_dir() / file_name, prom, what=f"alert {alert_name}")
    except _rules.RuleError as exc:
        raise CommandError(str(exc)) from None
    row = next((r for r in rule_rows(prom) if r["name"] == alert_name), None)
    result = {"name": alert_name, "kind": parsed.kind, "file": str(dest), "expr": alert.expr,
              "severity": severity, "for": parsed.for_, "channels": row["channels"] if row else list(channels),
              "state": row["state"] if row else None, "loaded": row is not None}
    if as_json:
        emit_json(result)
        return
    console.print(f"added {alert_name} ({parsed.kind}: {escape(parsed.describe())}) → {dest}; "
                  f"Prometheus {prom.url} reloaded, state {result['state']}, "
                  f"channels {', '.join(result['channels'] or []) or 'none'}")


def _default_runbook() -> str:
    from vibes_observe.alerting import defaults
    return defaults.RUNBOOK_BASE_URL


def added_names(ctx=None, param=None, incomplete: str = "") -> list[str]:
    """Alerts added with `alerts add` (also the shell completion of NAME)."""
    folder = _rules.user_rules_dir()
    names = sorted(p.stem.removeprefix(oneline.FILE_PREFIX) for p in folder.glob(f"{oneline.FILE_PREFIX}*.yml"))
    return [n for n in names if n.startswith(incomplete)]


@click.command("remove")
@click.argument("name", shell_complete=added_names)
def alerts_remove(name) -> None:
    """Remove an alert added with `alerts add` and reload Prometheus."""
    prom = PrometheusClient(endpoints().prometheus)
    folder = _rules.user_rules_dir()
    if not (folder / f"{oneline.FILE_PREFIX}{name}.yml").is_file():
        raise CommandError(f"no alert {name!r} added with `alerts add` in {folder} "
                           f"(there: {', '.join(added_names()) or 'none'})")
    try:
        dest = _rules.remove(f"{oneline.FILE_PREFIX}{name}.yml", prom)
    except _rules.RuleError as exc:
        raise CommandError(str(exc)) from None
    console.print(f"removed {name} ({dest}); Prometheus {prom.url} reloaded")


@click.command("test", short_help="Evaluate an alert now; --notify its channels.")
@click.argument("name_or_rule", shell_complete=added_names)
@click.option("--severity", default=None, help="For a rule in words: its severity (default warning).")
@click.option("--channel", "channels", multiple=True, metavar="NAME", help="For a rule in words: its channels.")
@click.option("--notify", is_flag=True, help="Also send a marked test notification to the rule's channels.")
@click.option("--timeout", default=30.0, show_default=True, help="Seconds to wait for each delivery.")
@scope_options
@json_option
def alerts_test(name_or_rule, severity, channels, notify, timeout, as_json, **scope) -> None:
    """Evaluate an alert now (NAME, or a rule in words): value, threshold, would it fire."""
    from vibes_observe.commands import _alert_test
    ep = endpoints()
    result = _alert_test.evaluate(PrometheusClient(ep.prometheus), name_or_rule, _scope(scope),
                                  severity=severity, channels=channels)
    if notify:
        result["notifications"] = _alert_test.send(AlertmanagerClient(ep.alertmanager), result, timeout)
    if as_json:
        emit_json(result)
    else:
        _alert_test.show(result)
    if notify and not all(d["delivered"] for d in result["notifications"]):
        raise click.exceptions.Exit(1)

"""`alerts test`: evaluate a rule now against live Prometheus; optionally notify its channels."""

from __future__ import annotations

from dataclasses import asdict

import yaml
from rich.markup import escape

from vibes_observe.alerting import oneline
from vibes_observe.alerting.alertmanager import CHANNELS_LABEL
from vibes_observe.clients.alertmanager import AlertmanagerClient
from vibes_observe.clients.prometheus import PrometheusClient
from vibes_observe.commands import _channels, _notify, _rules
from vibes_observe.commands._common import CommandError, console


def load_added(name: str) -> dict | None:
    """The rule dict of an alert added with `alerts add`, from its file (None: not one)."""
    path = _rules.user_rules_dir() / f"{oneline.FILE_PREFIX}{name}.yml"
    if not path.is_file():
        return None
    return yaml.safe_load(path.read_text())["groups"][0]["rules"][0]


def _find(prom: PrometheusClient, name_or_rule: str, scope: dict[str, str],
          severity: str | None, channels: tuple[str, ...]) -> tuple[dict, oneline.OneLineRule | None, str]:
    """(alert rule dict, one-line rule or None, source)."""
    added = load_added(name_or_rule) if oneline.CAMEL.match(name_or_rule) else None
    if added:
        return added, oneline.from_rule(added), "alerts add"
    loaded = [r for g in prom.rules() for r in g.get("rules", [])
              if r.get("type") == "alerting" and r["name"] == name_or_rule]
    if loaded:
        return {"alert": loaded[0]["name"], "expr": loaded[0]["query"], "labels": loaded[0].get("labels", {}),
                "annotations": loaded[0].get("annotations", {})}, None, "loaded rule"
    try:
        rule = oneline.parse(name_or_rule, scope)
    except oneline.RuleError as exc:
        raise CommandError(f"{name_or_rule!r} is no alert Prometheus runs, and as a rule in words: {exc}") from None
    labels = {"severity": severity or "warning", **({CHANNELS_LABEL: ",".join(channels)} if channels else {})}
    return ({"alert": oneline.default_name(rule), "expr": rule.expr(), "labels": labels,
             "annotations": {"summary": rule.describe()}}, rule, "rule in words")


def evaluate(prom: PrometheusClient, name_or_rule: str, scope: dict[str, str], *,
             severity: str | None = None, channels: tuple[str, ...] = ()) -> dict:
    spec, rule, source = _find(prom, name_or_rule, scope, severity, channels)
    labels = {"alertname": spec["alert"], **spec.get("labels", {})}
    try:
        manifest = _channels.load()
        if channels:
            manifest.named(channels)
        targets = manifest.for_rule(labels, CHANNELS_LABEL)
    except _channels.ChannelError as exc:
        if channels:
            raise CommandError(str(exc)) from None
        manifest, targets = None, None
    firing = prom.query(spec["expr"])
    values = prom.query(rule.value_query()) if rule else firing
    return {"name": spec["alert"], "source": source, "kind": rule.kind if rule else None,
            "rule": rule.text if rule else None, "scope": rule.scope if rule else {},
            "summary": spec.get("annotations", {}).get("summary", ""),
            "severity": labels.get("severity", ""), "channels": targets,
            "expr": spec["expr"], "value_query": rule.value_query() if rule else spec["expr"],
            "values": [{"labels": s.labels, "value": s.value,
                        "text": rule.value_text(s.value) if rule else f"{s.value:.6g}"} for s in values],
            "value": values[0].value if len(values) == 1 else None,
            "threshold": (rule.op + " " + rule.threshold_text()) if rule else None,
            "for": spec.get("for") or (rule.for_ if rule else None),
            "would_fire": bool(firing)}


def send(am: AlertmanagerClient, result: dict, timeout: float) -> list[dict]:
    try:
        manifest = _channels.load()
    except _channels.ChannelError as exc:
        raise CommandError(str(exc)) from None
    if not result["channels"]:
        raise CommandError(f"{result['name']}: no channel takes severity {result['severity']!r} "
                           f"(channels in {manifest.path})")
    out = []
    for channel in manifest.named(tuple(c for c in result["channels"] if c != _channels.WATCHDOG)):
        delivery = _notify.notify(am, channel, manifest.channel_receiver.format(name=channel.name),
                                  name=result["name"], severity=result["severity"] or "info",
                                  summary=result["summary"] or result["name"], timeout=timeout)
        out.append(asdict(delivery))
    return out


def show(result: dict) -> None:
    verdict = "[bold red]would fire[/]" if result["would_fire"] else "[green]would not fire[/]"
    head = f"{escape(result['name'])} ({result['source']}"
    head += f", {result['kind']}: {escape(result['rule'])}" if result["rule"] else ""
    console.print(head + f"): {verdict}" + (f" (after {result['for']} pending)" if result["would_fire"]
                                              and result["for"] not in (None, "0m", "0s") else ""))
    if result["values"]:
        for v in result["values"]:
            where = ", ".join(f"{k}={val}" for k, val in sorted(v["labels"].items()))
            console.print(f"  value {v['text']}" + (f"  {escape(where)}" if where else ""))
    else:
        console.print("  value: no data (no series in scope)")
    if result["threshold"]:
        console.print(f"  threshold {escape(result['threshold'])}")
    console.print(f"  channels {escape(', '.join(result['channels'] or []) or 'unknown')}")
    for d in result.get("notifications", []):
        mark = "[green]delivered[/]" if d["delivered"] else "[red]NOT delivered[/]"
        console.print(f"  test notification → {escape(d['channel'])} ({d['type']}): {mark} — {escape(d['detail'])}")

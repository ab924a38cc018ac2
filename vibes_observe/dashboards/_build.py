"""Panel, query, variable and link builders shared by every dashboard.

Built on grafana-foundation-sdk; the few things it has no builder for (Jaeger queries)
are small ``Builder`` classes here. Metric and label names come from
``vibes_observe.alerting.defaults`` (itself from ``vibes_sdk.names``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from grafana_foundation_sdk.builders import bargauge, common, prometheus, stat, table, timeseries
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import loki as loki_builder
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    DataTransformerConfig,
    VariableOption,
    VariableRefresh,
    VariableSort,
)

from vibes_observe import datasources as ds
from vibes_observe.alerting import defaults as d
from vibes_sdk import names

TAG = "vibes"
PROM = DataSourceRef(type_val="prometheus", uid=ds.PROMETHEUS_UID)
JAEGER = DataSourceRef(type_val="jaeger", uid=ds.JAEGER_UID)
LOKI = DataSourceRef(type_val="loki", uid=ds.LOKI_UID)

# Grafana units
USD, TOKENS, SECONDS, PERCENT, COUNT = "currencyUSD", "suffix: tokens", "s", "percentunit", "short"

# Dashboard variables -> the Prometheus label they filter.
VARIABLES = {"service": d.JOB, "model": d.MODEL, "agent": d.AGENT, "cost_center": d.COST_CENTER}


def sel(*keys: str, **extra: str) -> str:
    """Label matchers for the dashboard variables among ``keys`` plus literal ``extra`` ones."""
    parts = [f'{VARIABLES[k]}=~"${k}"' for k in keys]
    parts += [f'{label}{value}' for label, value in extra.items()]
    return "{" + ",".join(parts) + "}"


NOT_EMPTY = '!=""'


def eq(value: str) -> str:
    return f'="{value}"'


#: Time-series panels sum exact ledger increments per graph step (see promql.increments):
#: the step never goes below the ledger step, so every step holds whole ledger samples.
STEP = "$__interval"
MIN_STEP = d.LEDGER_INTERVAL
PER_SECOND = "($__interval_ms / 1000)"


def step_query(expr: str, legend: str = "", ref: str = "A") -> prometheus.Dataquery:
    """A time-series target over ledger increments per graph step (min step: the ledger's)."""
    return prom(expr, legend, ref=ref, interval=MIN_STEP)


MODEL_SEL = ("service", "model", "agent", "cost_center")
TOOL_SEL = ("service", "agent")
TASK_SEL = ("service", "agent", "cost_center")


class _Query(variants.Dataquery):
    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def to_json(self) -> dict[str, Any]:
        return self.payload


class JaegerQuery(cogbuilder.Builder[variants.Dataquery]):
    """Grafana Jaeger datasource search (the SDK ships no Jaeger builder)."""

    def __init__(self, service: str = "$service", tags: str = "", limit: int = 50, ref_id: str = "A") -> None:
        self._payload: dict[str, Any] = {"refId": ref_id, "datasource": JAEGER.to_json(), "queryType": "search",
                                         "service": service, "limit": limit}
        if tags:
            self._payload["tags"] = tags

    def build(self) -> variants.Dataquery:
        return _Query(self._payload)


def prom(expr: str, legend: str = "", *, instant: bool = False, ref: str = "A", fmt: str | None = None,
         interval: str | None = None) -> prometheus.Dataquery:
    q = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(PROM)
    if legend:
        q = q.legend_format(legend)
    q = q.instant() if instant else q.range()
    if fmt == "table":
        from grafana_foundation_sdk.models.prometheus import PromQueryFormat
        q = q.format(PromQueryFormat.TABLE)
    if interval:
        q = q.interval(interval)
    return q


def logql(expr: str, ref: str = "A", *, instant: bool = False) -> loki_builder.Dataquery:
    q = loki_builder.Dataquery().expr(expr).ref_id(ref).datasource(LOKI)
    return q.instant(True).range(False) if instant else q.range(True)


#: LogQL selector of the SDK's session summary events (one per closed session) in $service.
SESSION_SUMMARIES = (f'{{service_name=~"$service"}} | {names.prom_label(names.LOG_EVENT_NAME)}'
                     f'="{names.VIBES_EVENT_SESSION_SUMMARY}"')


def session_cost_by(attribute: str) -> str:
    """LogQL: USD per value of ``attribute`` summed over the summaries closed in the range.

    Loki 3 keeps OTLP log attributes as structured metadata, dots turned to underscores."""
    return (f"sum by ({names.prom_label(attribute)}) (sum_over_time({SESSION_SUMMARIES} "
            f"| unwrap {names.prom_label(names.VIBES_COST_USD)} | __error__=\"\" [$__range]))")


def loki_cost_table(title: str, description: str, attribute: str, column: str, *, w: int = 12,
                    h: int = 8) -> table.Panel:
    """Table of session-summary cost per ``attribute`` (instant query over the dashboard range)."""
    panel = table_panel(title, description, USD, [logql(session_cost_by(attribute), instant=True)],
                        w=w, h=h, links=False, datasource=LOKI)
    label = names.prom_label(attribute)
    return (panel.links([trace_link(), log_link(f' | {names.prom_label(names.LOG_EVENT_NAME)}'
                                  f'="{names.VIBES_EVENT_SESSION_SUMMARY}"')])
            # one frame per series from Loki: labels to columns, then one table
            .with_transformation(DataTransformerConfig(id_val="labelsToFields", options={"mode": "columns"}))
            .with_transformation(DataTransformerConfig(id_val="merge", options={}))
            .with_transformation(DataTransformerConfig(id_val="organize", options={
                "excludeByName": {"Time": True},
                "renameByName": {label: column, "Value #A": "Cost (USD)", "Value": "Cost (USD)"}}))
            .with_transformation(DataTransformerConfig(id_val="sortBy", options={
                "sort": [{"field": "Cost (USD)", "desc": True}]})))


def _explore_url(datasource: DataSourceRef, query: dict[str, Any]) -> str:
    panes = {"a": {"datasource": datasource.uid,
                   "queries": [{"refId": "A", "datasource": datasource.to_json(), **query}],
                   "range": {"from": "${__from}", "to": "${__to}"}}}
    return "/explore?schemaVersion=1&orgId=1&panes=" + quote(json.dumps(panes, separators=(",", ":")), safe="${}")


def trace_link(tags: str = "") -> db.DashboardLink:
    query: dict[str, Any] = {"queryType": "search", "service": "${service}"}
    if tags:
        query["tags"] = tags
    return db.DashboardLink("Traces in Jaeger").type(DashboardLinkType.LINK).url(
        _explore_url(JAEGER, query)).target_blank(True)


def log_link(extra: str = "") -> db.DashboardLink:
    expr = '{service_name=~"${service}"}' + extra
    return db.DashboardLink("Logs in Loki").type(DashboardLinkType.LINK).url(
        _explore_url(LOKI, {"expr": expr, "queryType": "range"})).target_blank(True)


def _finish(panel: Any, description: str, unit: str, w: int, h: int, links: bool) -> Any:
    panel = panel.description(description).unit(unit).span(w).height(h).datasource(PROM)
    if links:
        panel = panel.links([trace_link(), log_link()])
    return panel


def stat_panel(title: str, description: str, unit: str, expr: str, *, w: int = 4, h: int = 4,
               time_from: str | None = None, decimals: int | None = None, links: bool = True) -> stat.Panel:
    panel = (stat.Panel().title(title).with_target(prom(expr, instant=True))
             .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
             .graph_mode(cm.BigValueGraphMode.NONE).no_value("0"))
    if time_from:
        panel = panel.time_from(time_from)
    if decimals is not None:
        panel = panel.decimals(decimals)
    return _finish(panel, description, unit, w, h, links)


def timeseries_panel(title: str, description: str, unit: str, targets: list[prometheus.Dataquery], *,
                     w: int = 12, h: int = 8, bars: bool = False, stacked: bool = False,
                     links: bool = True) -> timeseries.Panel:
    panel = timeseries.Panel().title(title).targets(targets)
    if bars:
        panel = panel.draw_style(cm.GraphDrawStyle.BARS).fill_opacity(80)
    if stacked:
        panel = panel.stacking(common.StackingConfig().mode(cm.StackingMode.NORMAL))
    return _finish(panel, description, unit, w, h, links)


def table_panel(title: str, description: str, unit: str, targets: list[Any], *, w: int = 12, h: int = 8,
                links: bool = True, datasource: DataSourceRef = PROM) -> table.Panel:
    panel = table.Panel().title(title).targets(targets)
    panel = _finish(panel, description, unit, w, h, links)
    return panel.datasource(datasource)


def bar_panel(title: str, description: str, unit: str, expr: str, legend: str, *, w: int = 8,
              h: int = 8, links: bool = True) -> bargauge.Panel:
    panel = (bargauge.Panel().title(title).with_target(prom(expr, legend, instant=True))
             .reduce_options(common.ReduceDataOptions().calcs(["lastNotNull"]))
             .orientation(cm.VizOrientation.HORIZONTAL))
    return _finish(panel, description, unit, w, h, links)


def query_variable(name: str, label: str, metric: str) -> db.QueryVariable:
    return (db.QueryVariable(name).label(label).datasource(PROM)
            .query(f"label_values({metric}, {VARIABLES[name]})")
            .multi(True).include_all(True).all_value(".*")
            .current(VariableOption(selected=True, text=["All"], value=["$__all"]))
            .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED).sort(VariableSort.ALPHABETICAL_ASC))


def standard_variables() -> list[db.QueryVariable]:
    return [query_variable("service", "Service", d.REQUESTS),
            query_variable("model", "Model", d.REQUESTS),
            query_variable("agent", "Agent", d.REQUESTS),
            query_variable("cost_center", "Cost center", d.REQUESTS)]


def dashboard(uid: str, title: str, description: str, *, time_from: str = "now-24h",
              refresh: str = "30s") -> db.Dashboard:
    dash = (db.Dashboard(f"Vibes / {title}").uid(uid).description(description).tags([TAG])
            .time(time_from, "now").timezone("utc").refresh(refresh).readonly()
            .link(db.DashboardLink("Vibes dashboards").type(DashboardLinkType.DASHBOARDS).tags([TAG])
                  .as_dropdown(True).include_vars(True).keep_time(True))
            .link(trace_link()).link(log_link()))
    for var in standard_variables():
        dash = dash.with_variable(var)
    return dash


def to_json(dash: db.Dashboard) -> str:
    model = json.loads(json.dumps(dash.build(), cls=JSONEncoder))
    # Stable, unique panel ids and variable ids (the SDK leaves them 0/zero-UUID).
    next_id = 1
    for panel in model.get("panels", []):
        panel["id"] = next_id
        next_id += 1
        for target in panel.get("targets", []):
            target.setdefault("datasource", panel.get("datasource"))
    for var in model.get("templating", {}).get("list", []):
        var.pop("id", None)
    return json.dumps(model, indent=2, sort_keys=False) + "\n"

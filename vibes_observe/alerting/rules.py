"""Prometheus recording and alerting rules, generated from ``defaults`` + the user config."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from vibes_observe import durations
from vibes_observe.alerting import defaults as d
from vibes_observe.queries import promql
from vibes_observe.alerting.conditions import CostExceeds, ErrorRate, MetricAbove, MetricBelow, RateOfChange
from vibes_observe.alerting.config import AlertingConfig, Budget
from vibes_observe.queries.measures import period_cost

RECORDING_FILE = "vibes-recording.yml"
ALERTS_FILE = "vibes-alerts.yml"


@dataclass(frozen=True)
class Runbook:
    meaning: str
    impact: str
    diagnosis: tuple[str, ...]  # each item: a sentence, then the exact query/command
    mitigation: tuple[str, ...]


@dataclass(frozen=True)
class Alert:
    name: str
    component: str
    severity: str
    expr: str
    for_: str
    summary: str
    description: str
    runbook: Runbook
    labels: dict[str, str] = field(default_factory=dict)
    runbook_url: str | None = None  # custom alerts may link their own
    annotations: dict[str, str] = field(default_factory=dict)  # extra, e.g. a one-line rule's words


# ------------------------------------------------------------------ recording
def whole_seconds(duration: str) -> int:
    """A rule window in seconds, as PromQL arithmetic writes it."""
    return int(durations.seconds(duration))


def ledger_rules(cfg: AlertingConfig) -> list[dict[str, Any]]:
    step = cfg.ledger_interval
    sources = (
        (d.LEDGER_COST, d.COST, d.MODEL_KEYS),
        (d.LEDGER_TOKENS, d.TOKENS, d.MODEL_KEYS + (d.TOKEN_TYPE,)),
        (d.LEDGER_REQUESTS, d.REQUESTS, d.MODEL_KEYS + (d.ERROR_TYPE,)),
        (d.LEDGER_UNPRICED, d.UNPRICED, d.MODEL_KEYS),
        (d.LEDGER_TOOL_CALLS, d.TOOL_CALLS, d.TOOL_KEYS + (d.ERROR_TYPE,)),
        (d.LEDGER_TASK_CALLS, d.TASK_CALLS_BUCKET, d.TASK_KEYS + ("le",)),
        (d.LEDGER_LATENCY_SUM, d.LATENCY_SUM, d.MODEL_KEYS),
        (d.LEDGER_LATENCY_BUCKET, d.LATENCY_BUCKET, d.MODEL_KEYS + ("le",)),
        (d.LEDGER_AGENTS_SPAWNED, d.AGENTS_SPAWNED, d.TASK_KEYS),
        (d.LEDGER_SESSION_MESSAGES, d.SESSION_MESSAGES, d.SESSION_KEYS),
        (d.LEDGER_SESSION_EVENTS, d.SESSION_EVENTS, d.SESSION_KEYS),
        (d.LEDGER_SESSION_DURATION_BUCKET, d.SESSION_DURATION_BUCKET, d.SESSION_KEYS + ("le",)),
        (d.LEDGER_TTFC_BUCKET, d.TTFC_BUCKET, d.MODEL_KEYS + ("le",)),
        (d.LEDGER_TASK_DURATION_BUCKET, d.TASK_DURATION_BUCKET, d.TASK_KEYS + ("le",)),
        (d.LEDGER_TOOL_DURATION_BUCKET, d.TOOL_DURATION_BUCKET, d.TOOL_KEYS + ("le",)),
        (d.LEDGER_SWARM_COORDINATION_BUCKET, d.SWARM_COORDINATION_BUCKET, d.SESSION_KEYS + ("le",)),
        (d.LEDGER_SDK_DROPPED, d.SDK_DROPPED, (d.JOB, "signal", "reason")),
    ) + tuple(collector_ledger_sources())
    return [{"record": rec, "expr": promql.ledger(metric, keys, step)} for rec, metric, keys in sources]


def collector_ledger_sources():
    """(record, collector counter, keys) for every collector item counter and signal."""
    for template in d.COLLECTOR_COUNTERS:
        component = "receiver" if template.startswith("otelcol_receiver") else "exporter"
        for sig in d.COLLECTOR_SIGNALS:
            counter = template.format(signal=sig)
            yield d.LEDGER_COLLECTOR.format(counter=counter), counter, ("job", component)


def _checkpoint_names(period: str) -> tuple[str, str]:
    return d.COST_PERIOD_CHECKPOINT.format(period=period), d.COST_PERIOD_CHECKPOINT_END.format(period=period)


def cost_checkpoint_rules() -> list[dict[str, Any]]:
    """Each period's whole hours so far, then their boundary (recorded from the checkpoint,
    so a failed checkpoint leaves the previous pair in force)."""
    margin = whole_seconds(d.CHECKPOINT_MARGIN)
    rules: list[dict[str, Any]] = []
    for p in d.PERIODS:
        checkpoint, end = _checkpoint_names(p)
        rules.append({"record": checkpoint,
                      "expr": promql.period_checkpoint(d.LEDGER_COST, p, d.MODEL_KEYS, margin)})
        rules.append({"record": end, "expr": promql.period_checkpoint_end(checkpoint, margin)})
    return rules


def cost_period_rules(cfg: AlertingConfig) -> list[dict[str, Any]]:
    fine = min(whole_seconds(cfg.ledger_interval), 60)
    rules = []
    for p in d.PERIODS:
        checkpoint, end = _checkpoint_names(p)
        rules.append({"record": promql.cost_period_metric(p),
                      "expr": promql.period_total(d.LEDGER_COST, p, d.MODEL_KEYS, fine_step_s=fine,
                                                  checkpoint=checkpoint, checkpoint_end=end,
                                                  lookback=d.CHECKPOINT_LOOKBACK)})
    return rules


def _budget_labels(b: Budget) -> dict[str, str]:
    return {"budget": b.name, "period": b.period}


def budget_rules(cfg: AlertingConfig) -> list[dict[str, Any]]:
    fc = cfg.thresholds["budget_forecast"]
    rules: list[dict[str, Any]] = []
    for b in cfg.budgets:
        labels = _budget_labels(b)
        scope = promql.budget_scope(b.scope)
        rules.append({"record": d.BUDGET_LIMIT, "expr": f"vector({b.amount!r})", "labels": labels})
        rules.append({"record": d.BUDGET_SPENT,
                      "expr": f"{CostExceeds(b.amount, b.period, b.scope).spent()} or vector(0)",
                      "labels": labels})
        for window in (fc["short_window"], fc["long_window"]):
            rules.append({"record": d.BUDGET_BURN.format(window=window),
                          "expr": f"(sum(sum_over_time({d.LEDGER_COST}{scope}[{window}])) or vector(0))"
                                  f" / {whole_seconds(window)}",
                          "labels": labels})
    return rules


def shared_rate_rules() -> list[dict[str, Any]]:
    """The 5-minute request rates and error ratios, each raw series read once per evaluation.

    The error ratio aggregates the per-key rates recorded above it (rules of a group run in
    order, and a rule sees the records of the rules before it at the same timestamp) instead
    of rate()-ing the raw counters again. The recorded rate keeps only the keys the ratio and
    the alerts sum by: every further label multiplies the series written and read again.
    """
    w = d.RATE_WINDOW
    return [
        {"record": d.LLM_REQUEST_RATE, "expr": promql.rate_sum(d.REQUESTS, LLM_KEYS + (d.ERROR_TYPE,), w)},
        {"record": d.LLM_ERROR_RATIO, "expr": llm_error_rate(w, 0).ratio()},
        {"record": d.TOOL_ERROR_RATIO,
         "expr": ErrorRate(d.TOOL_CALLS, d.ERROR_TYPE, d.TOOL_KEYS, w, 0).ratio()},
    ]


def latency_rate_rules() -> list[dict[str, Any]]:
    """The 5-minute latency bucket rates and their quantiles.

    Apart from the rates group: the bucket rate reads every raw bucket series (one per
    bucket bound × label combination, 15× the request counters), which costs Prometheus
    ~25 µs of CPU per series (selecting and sorting them dominates), so it is evaluated at the
    ledger's pace rather than every 15 s. Same expression, same values; a quantile over
    5 minutes loses nothing by being recorded once a minute.
    """
    w = d.RATE_WINDOW
    rules = [{"record": d.LLM_LATENCY_BUCKET_RATE, "expr": promql.rate_sum(d.LATENCY_BUCKET, LLM_KEYS + ("le",), w)}]
    for q in (50, 95, 99):
        rules.append({"record": d.LLM_LATENCY_QUANTILE.format(q=q), "expr": llm_latency_quantile(q / 100, w)})
    return rules


LLM_KEYS = (d.JOB, d.MODEL)  # the LLM alerts and their shared rates: per service and model


def _recorded_rate_window(window: str) -> bool:
    return whole_seconds(window) == whole_seconds(d.RATE_WINDOW)


def llm_error_rate(window: str, threshold: float) -> ErrorRate:
    """LLM calls' error share over ``window``: from the recorded per-key rates when the
    rates group records that window (the raw request counters are then read once)."""
    if _recorded_rate_window(window):
        return ErrorRate(d.LLM_REQUEST_RATE, d.ERROR_TYPE, LLM_KEYS, window, threshold, recorded=True)
    return ErrorRate(d.REQUESTS, d.ERROR_TYPE, LLM_KEYS, window, threshold)


def llm_latency_quantile(q: float, window: str) -> str:
    """The ``q`` quantile of LLM call latency over ``window`` per service and model, from the
    recorded bucket rates when the latency group records that window."""
    if _recorded_rate_window(window):
        return f"histogram_quantile({q}, {d.LLM_LATENCY_BUCKET_RATE})"
    return promql.quantile(q, d.LATENCY_BUCKET, LLM_KEYS, window)


# ------------------------------------------------------------------ alerts
def _q(cfg: AlertingConfig, query: str) -> str:
    """The shell command a runbook gives to run ``query`` against the stack's Prometheus."""
    return f"curl -sG {cfg.prometheus_url}/api/v1/query --data-urlencode 'query={query}'"


def llm_alerts(cfg: AlertingConfig) -> list[Alert]:
    t = cfg.thresholds["llm_error_rate"]
    by_type = promql.rate_sum(d.REQUESTS, LLM_KEYS + (d.ERROR_TYPE,), t["window"], **{d.ERROR_TYPE: "!"})
    err_rb = Runbook(
        meaning=f"More than the threshold share of GenAI calls of one service and model failed "
                f"(`{d.ERROR_TYPE}` set on `{d.REQUESTS}`) over {t['window']}.",
        impact="Agents retry, stall or give wrong answers; retries also cost money.",
        diagnosis=(f"Which error types: `{_q(cfg, by_type)}`",
                   "Failed calls with their traces: `vibes observe traces --errors --since 30m`",
                   "Provider status page and the agent's logs: `vibes observe logs --level error --since 30m`"),
        mitigation=("Rate limited (429): lower concurrency or move traffic to another model.",
                    "Auth errors: rotate the API key the agent uses.",
                    "Provider outage: fail over to another provider, or pause the agents."),
    )
    alerts = [
        Alert("LLMErrorRateHigh", "llm", sev, llm_error_rate(t["window"], t[sev]).expr(),
              t["for"], "Many LLM calls are failing.",
              "{{ $value | humanizePercentage }} of LLM calls of {{ $labels.job }} to model "
              f"{{{{ $labels.{d.MODEL} }}}} failed over the last {t['window']} "
              f"(threshold {t[sev]:.0%}).", err_rb)
        for sev in ("warning", "critical")
    ]
    lat = cfg.thresholds["llm_latency"]
    q = float(lat["quantile"])
    alerts.append(Alert(
        "LLMLatencyHigh", "llm", "warning",
        MetricAbove(llm_latency_quantile(q, lat["window"]), lat["warning_seconds"]).expr(),
        lat["for"], "LLM calls are slow.",
        f"p{q * 100:g} latency of LLM calls of {{{{ $labels.job }}}} to {{{{ $labels.{d.MODEL} }}}} is "
        f"{{{{ $value | humanizeDuration }}}} (threshold {lat['warning_seconds']:g}s).",
        Runbook(
            meaning=f"The p{q * 100:g} of `{d.LATENCY_BUCKET}` over {lat['window']} is above "
                    f"{lat['warning_seconds']:g} s for one service and model.",
            impact="Users wait; agents may hit their own timeouts and retry.",
            diagnosis=(f"Latency per model: `{_q(cfg, promql.quantile(q, d.LATENCY_BUCKET, (d.MODEL,), lat['window']))}`",
                       f"Time to first chunk: `{_q(cfg, promql.quantile(q, d.TTFC_BUCKET, (d.MODEL,), lat['window']))}`",
                       "Slowest traces: `vibes observe traces --min-duration 30s --since 1h`"),
            mitigation=("Check the provider status page.", "Lower max output tokens or switch to a faster model.",
                        "Raise alerting.thresholds.llm_latency.warning_seconds if long calls are expected."))))
    up = cfg.thresholds["unpriced_model"]
    unpriced = f"sum by ({d.JOB}, {d.MODEL}) (sum_over_time({d.LEDGER_UNPRICED}[{up['window']}]))"
    alerts.append(Alert(
        "LLMUnpricedModelSeen", "cost", "warning", MetricAbove(unpriced, 0).expr(), up["for"],
        "A model without a price is in use: its cost is unknown.",
        f"{{{{ $labels.job }}}} made {{{{ $value }}}} calls to model {{{{ $labels.{d.MODEL} }}}} in the last "
        f"{up['window']}; the price table has no entry, so cost totals and budgets leave them out.",
        Runbook(
            meaning=f"`{d.UNPRICED}` grew: calls to a model missing from the price table.",
            impact="Cost dashboards and budgets under-count: these calls are not priced at $0, they are unknown.",
            diagnosis=(f"Which models: `{_q(cfg, unpriced)}`",
                       "The SDK price table: `python -c 'import vibes_sdk.cost as c; print(c.__file__)'`"),
            mitigation=("Add the model's price to the SDK price table (or a price override in the SDK config).",
                        "If the name is an alias (a dated snapshot), map it to its base model."))))
    return alerts


def agent_alerts(cfg: AlertingConfig) -> list[Alert]:
    t = cfg.thresholds["tool_error_rate"]
    ratio = ErrorRate(d.TOOL_CALLS, d.ERROR_TYPE, d.TOOL_KEYS, t["window"], t["warning"])
    it = cfg.thresholds["agent_iterations"]
    w = it["window"]
    over = (f"sum by ({d.JOB}, {d.AGENT}) (sum_over_time({d.LEDGER_TASK_CALLS}{{le=\"+Inf\"}}[{w}])) - "
            f"sum by ({d.JOB}, {d.AGENT}) (sum_over_time({d.LEDGER_TASK_CALLS}"
            f"{{le{promql.le_matcher(it['max_calls'])}}}[{w}]))")
    return [
        Alert("ToolErrorRateHigh", "agents", "warning", ratio.expr(), t["for"], "Many tool calls are failing.",
              f"{{{{ $value | humanizePercentage }}}} of calls to tool {{{{ $labels.{d.TOOL} }}}} by agent "
              f"{{{{ $labels.{d.AGENT} }}}} ({{{{ $labels.job }}}}) failed over {t['window']}.",
              Runbook(
                  meaning=f"The share of `{d.TOOL_CALLS}` with `{d.ERROR_TYPE}` set is above "
                          f"{t['warning']:.0%} for one agent and tool.",
                  impact="Agents loop on failing tools, burn tokens and may give up on tasks.",
                  diagnosis=(f"Error types: `{_q(cfg, promql.rate_sum(d.TOOL_CALLS, (d.TOOL, d.ERROR_TYPE), t['window'], **{d.ERROR_TYPE: '!'}))}`",
                             "Failing tool spans of the agent: `vibes observe traces --agent <agent> --errors --since 1h`"),
                  mitigation=("Fix or disable the failing tool; check its credentials and the API it calls.",))),
        Alert("AgentIterationRunaway", "agents", "warning", MetricAbove(over, 0).expr(), it["for"],
              "An agent task is making too many LLM calls.",
              f"{{{{ $value }}}} task(s) of agent {{{{ $labels.{d.AGENT} }}}} ({{{{ $labels.job }}}}) made more "
              f"than {it['max_calls']} LLM calls in the last {w}.",
              Runbook(
                  meaning=f"`{d.TASK_CALLS_BUCKET}` counted tasks above the {it['max_calls']}-calls bucket "
                          f"(exact counts from the `{d.LEDGER_TASK_CALLS}` ledger).",
                  impact="A looping agent burns tokens and money without finishing its task.",
                  diagnosis=(f"Tasks over the limit per agent: `{_q(cfg, over)}`",
                             "The agent's long traces: `vibes observe traces --agent <agent> --min-duration 1m --since 1h`"),
                  mitigation=("Stop the runaway agent; add an iteration cap to its loop.",
                              "Check for a tool returning the same error forever (see ToolErrorRateHigh)."))),
    ]


def cost_alerts(cfg: AlertingConfig) -> list[Alert]:
    out: list[Alert] = []
    fe = cfg.thresholds["budget_exceeded"]
    fc = cfg.thresholds["budget_forecast"]
    today_by_model = period_cost("day", (d.MODEL, d.AGENT))
    exceeded_rb = Runbook(
        meaning="Spend in the budget's current calendar period (UTC) reached its amount.",
        impact="Money beyond the planned budget is being spent right now.",
        diagnosis=(f"Spend per budget: `{_q(cfg, d.BUDGET_SPENT)}`",
                   f"Today's spend by model and agent: `{_q(cfg, today_by_model)}`",
                   "Costliest sessions and users (from traces): `vibes observe cost --by session --since 24h`"),
        mitigation=("Pause or throttle the agents in the budget's scope.",
                    "Move work to a cheaper model.",
                    "If the spend is expected, raise the budget in the stack config (alerting.budgets) and `make up`."),
    )
    forecast_rb = Runbook(
        meaning=(f"At the burn rate of both the last {fc['long_window']} and the last {fc['short_window']}, "
                 "spend will pass the budget before its period ends (multi-window burn-rate forecast)."),
        impact="The budget will be exceeded unless spending slows down.",
        diagnosis=(f"Spend and burn rates: `{_q(cfg, d.BUDGET_SPENT)}` and "
                   f"`{_q(cfg, d.BUDGET_BURN.format(window=fc['short_window']))}` (USD per second)",
                   "Where the spend comes from: the Vibes / Cost dashboard, or `vibes observe cost --by model --by agent`"),
        mitigation=("Slow down or pause the biggest spender.", "Raise the budget if the spend is planned."),
    )
    for b in cfg.budgets:
        labels = _budget_labels(b)
        scope = ", ".join(f"{k}={v}" for k, v in b.scope.items()) or "all spend"
        out.append(Alert(
            "CostBudgetExceeded", "cost", "critical", CostExceeds(b.amount, b.period, b.scope).expr(), fe["for"],
            "A cost budget is exceeded.",
            f"Budget {b.name} ({scope}): ${{{{ $value | printf \"%.2f\" }}}} spent this {b.period} (UTC), "
            f"budget ${b.amount:.2f}.", exceeded_rb, labels))
        sel = f'{{budget="{b.name}"}}'
        remaining = promql.period_remaining_seconds(b.period)
        short = d.BUDGET_BURN.format(window=fc["short_window"])
        long_ = d.BUDGET_BURN.format(window=fc["long_window"])
        expr = (f"({d.BUDGET_SPENT}{sel} + {long_}{sel} * {remaining} > {b.amount!r}) "
                f"and ({d.BUDGET_SPENT}{sel} + {short}{sel} * {remaining} > {b.amount!r}) "
                f"and ({d.BUDGET_SPENT}{sel} < {b.amount!r})")
        out.append(Alert(
            "CostBudgetForecastExceeded", "cost", "warning", expr, fc["for"],
            "A cost budget will be exceeded before its period ends.",
            f"Budget {b.name} ({scope}): at the current burn rate this {b.period}'s spend will reach "
            f"${{{{ $value | printf \"%.2f\" }}}} by the end of the period, budget ${b.amount:.2f}.",
            forecast_rb, labels))
    return out


def _sum_of_rates(templates: tuple[str, ...], keys: tuple[str, ...], window: str) -> str:
    """Rates of several collector counters (every signal) summed by ``keys``.

    rate() drops the metric name, so each term gets its name as a label first: the same
    receiver's refused_spans and refused_log_records would otherwise collide.
    """
    terms = [f'label_replace(rate({t.format(signal=sig)}[{window}]), "metric", "{t.format(signal=sig)}", "", "")'
             for t in templates for sig in d.COLLECTOR_SIGNALS]
    return f"sum {promql.by(keys)} ({' or '.join(terms)})"


def collector_alerts(cfg: AlertingConfig) -> list[Alert]:
    tr, ts, tq = (cfg.thresholds[k] for k in ("collector_refused", "collector_send_failed", "collector_queue"))
    refused = _sum_of_rates((d.COLLECTOR_REFUSED, d.COLLECTOR_FAILED), ("job", "receiver"), tr["window"])
    failed = _sum_of_rates((d.COLLECTOR_SEND_FAILED, d.COLLECTOR_ENQUEUE_FAILED), ("job", "exporter"), ts["window"])
    fill = f"max by (job, exporter, data_type) ({d.COLLECTOR_QUEUE_SIZE} / {d.COLLECTOR_QUEUE_CAPACITY})"
    logs = "make logs COMPONENT=collector"
    return [
        Alert("CollectorRefusingData", "collector", "warning", MetricAbove(refused, 0).expr(), tr["for"],
              "The collector is refusing incoming telemetry.",
              "Receiver {{ $labels.receiver }} refuses or fails {{ $value | printf \"%.2f\" }} items/s "
              f"(over {tr['window']}).",
              Runbook(
                  meaning="The OTLP receiver answers errors: usually the memory limiter pushing back.",
                  impact="SDKs retry and then drop telemetry: gaps in traces, metrics and logs.",
                  diagnosis=(f"Refused per signal: `{_q(cfg, refused)}`",
                             f"Collector log: `{logs}` (look for memory_limiter)"),
                  mitigation=("Raise the collector memory limit in the stack config.",
                              "Lower SDK export volume (sampling) or fix the backend that backs up the queue."))),
        Alert("CollectorDroppingData", "collector", "warning", MetricAbove(failed, 0).expr(), ts["for"],
              "The collector fails to export telemetry.",
              "Exporter {{ $labels.exporter }} fails {{ $value | printf \"%.2f\" }} items/s (over "
              f"{ts['window']}).",
              Runbook(
                  meaning="An exporter gave up sending items after retries, or could not queue them.",
                  impact="Telemetry is lost for the backend behind this exporter.",
                  diagnosis=(f"Failures per exporter: `{_q(cfg, failed)}`", "Backend health: `make status`",
                             f"Collector log: `{logs}`"),
                  mitigation=("Bring the backend back (`make up`); the persistent queue replays what it still holds.",))),
        Alert("CollectorExporterQueueNearlyFull", "collector", "warning", MetricAbove(fill, tq["fill_ratio"]).expr(),
              tq["for"], "A collector export queue is nearly full.",
              "Queue of exporter {{ $labels.exporter }} ({{ $labels.data_type }}) is "
              "{{ $value | humanizePercentage }} full.",
              Runbook(
                  meaning=f"`{d.COLLECTOR_QUEUE_SIZE}` / `{d.COLLECTOR_QUEUE_CAPACITY}` is above "
                          f"{tq['fill_ratio']:.0%}.",
                  impact="When the queue is full new items are dropped.",
                  diagnosis=(f"Fill per exporter: `{_q(cfg, fill)}`", "Backend health: `make status`"),
                  mitigation=("Fix the slow or down backend.", "Raise the queue size in the stack config."))),
    ]


def stack_alerts(cfg: AlertingConfig) -> list[Alert]:
    t = cfg.thresholds["target_down"]
    rf, lm = cfg.thresholds["rule_failures"], cfg.thresholds["ledger_missed"]
    failing = (f'sum by (job, rule_group) (increase({d.PROMETHEUS_RULE_FAILURES}'
               f'{{rule_group=~".*vibes-.*"}}[{rf["window"]}]))')
    missed = (f'sum by (job, rule_group) (increase({d.PROMETHEUS_RULE_MISSED}'
              f'{{rule_group=~".*vibes-ledger"}}[{lm["window"]}]))')
    return [
        Alert("VibesRulesFailing", "stack", "warning", MetricAbove(failing, 0).expr(), rf["for"],
              "Prometheus fails to evaluate vibes rules.",
              "Rule group {{ $labels.rule_group }} failed {{ $value | printf \"%.0f\" }} evaluations in the "
              f"last {rf['window']}.",
              Runbook(
                  meaning="Some recording or alerting rules of vibes-observe return errors.",
                  impact="Ledgers, cost totals, budgets or alerts built on the failing rule are missing or stale.",
                  diagnosis=(f"Which rules and their error: `curl -s {cfg.prometheus_url}/api/v1/rules | "
                             "python -c 'import json,sys; [print(g[\"name\"], r[\"name\"], r.get(\"lastError\")) "
                             "for g in json.load(sys.stdin)[\"data\"][\"groups\"] for r in g[\"rules\"] "
                             "if r[\"health\"] == \"err\"]'`",
                             f"Failures per group: `{_q(cfg, failing)}`"),
                  mitigation=("Two series with the same labels after aggregation (a new label on SDK metrics) is "
                              "the usual cause: fix the rule in vibes_observe/alerting and `make up`.",))),
        Alert("CostLedgerStepsMissed", "cost", "warning", MetricAbove(missed, 0).expr(), lm["for"],
              "Ledger steps were skipped: cost and token totals undercount.",
              "Prometheus skipped {{ $value | printf \"%.0f\" }} evaluations of {{ $labels.rule_group }} in the "
              f"last {lm['window']}.",
              Runbook(
                  meaning=f"`{d.PROMETHEUS_RULE_MISSED}` grew for the vibes-ledger group: an evaluation took "
                          "longer than the ledger interval, so a ledger step was not recorded.",
                  impact="The increments of a skipped step are lost: totals, budgets and dashboards undercount.",
                  diagnosis=(f"Missed steps: `{_q(cfg, missed)}`",
                             "Evaluation time: `" + _q(cfg, "prometheus_rule_group_last_duration_seconds") + "`"),
                  mitigation=("Give Prometheus more CPU, or raise alerting.ledger_interval (e.g. 2m).",))),

        Alert("TargetDown", "stack", "warning", "up == 0", t["for"], "A monitored component is down.",
              "Prometheus cannot scrape {{ $labels.job }} at {{ $labels.instance }}.",
              Runbook(
                  meaning="A scrape target of Prometheus answered nothing (`up == 0`).",
                  impact="Its metrics are missing; if it is the collector, all SDK metrics stop too.",
                  diagnosis=(f"Which targets: `{_q(cfg, 'up == 0')}`", "Component health: `make status`",
                             "Its log: `make logs COMPONENT=<component>`"),
                  mitigation=("Restart it with `make up` (only changed or stopped components restart).",))),
        Alert("Watchdog", "stack", "info", "vector(1)", "0m", "The alerting pipeline is alive.",
              "This alert always fires. If it stops arriving, Prometheus or Alertmanager is broken.",
              Runbook(
                  meaning="Always firing, by design: a heartbeat for the whole alerting pipeline.",
                  impact="None while it fires. Its absence means alerts cannot reach you.",
                  diagnosis=("Is it active in Alertmanager: `amtool alert query alertname=Watchdog "
                             f"--alertmanager.url={cfg.alertmanager_url}` or `vibes observe alerts --all`",),
                  mitigation=("Point alerting.watchdog.url at a dead-man's-switch service that pages when "
                              "the heartbeat stops.",))),
    ]


CUSTOM_ANCHOR = "custom-alerts"


def custom_runbook(cfg: AlertingConfig) -> Runbook:
    return Runbook(
        meaning="An alert defined in the stack config (alerting.custom_alerts) from a condition template.",
        impact="As described by its author in the alert's description.",
        diagnosis=(f"Its expression: `curl -s {cfg.prometheus_url}/api/v1/rules | python -m json.tool`",),
        mitigation=("Follow the team's own runbook (set runbook_url on the alert to link it here).",))


def _condition(c) -> str:
    p = c.params
    if c.kind == "MetricAbove":
        return MetricAbove(p["query"], p["threshold"]).expr()
    if c.kind == "MetricBelow":
        return MetricBelow(p["query"], p["threshold"]).expr()
    if c.kind == "RateOfChange":
        return RateOfChange(p["query"], p["window"], p["percent"]).expr()
    return ErrorRate(p["metric"], d.ERROR_TYPE, p["by"], p["window"], p["threshold"]).expr()


def custom_alerts(cfg: AlertingConfig) -> list[Alert]:
    return [Alert(c.name, "custom", c.severity, _condition(c), c.for_, c.summary, c.description,
                  custom_runbook(cfg), {}, c.runbook_url) for c in cfg.custom_alerts]


def all_alerts(cfg: AlertingConfig) -> list[Alert]:
    return (llm_alerts(cfg) + agent_alerts(cfg) + cost_alerts(cfg) + collector_alerts(cfg)
            + stack_alerts(cfg) + custom_alerts(cfg))


def runbook_anchor(name: str) -> str:
    return name.lower()


def _alert_rule(a: Alert, cfg: AlertingConfig) -> dict[str, Any]:
    return alert_rule(a, cfg.runbook_base_url)


def alert_rule(a: Alert, runbook_base_url: str) -> dict[str, Any]:
    """One Prometheus alerting rule with the shipped conventions (labels, annotations, runbook)."""
    rule: dict[str, Any] = {"alert": a.name, "expr": a.expr}
    if a.for_ not in ("0m", "0s"):
        rule["for"] = a.for_
    rule["labels"] = {"severity": a.severity, "component": a.component, **a.labels}
    anchor = CUSTOM_ANCHOR if a.component == "custom" else runbook_anchor(a.name)
    rule["annotations"] = {"summary": a.summary, "description": a.description,
                           "runbook_url": a.runbook_url or f"{runbook_base_url}#{anchor}",
                           **a.annotations}
    return rule


def _group(name: str, rules: list[dict[str, Any]], interval: str | None) -> dict[str, Any]:
    group: dict[str, Any] = {"name": name}
    if interval:
        group["interval"] = interval
    group["rules"] = rules
    return group


class _Dumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str_presenter)


def dump(doc: dict[str, Any], header: str) -> str:
    body = yaml.dump(doc, Dumper=_Dumper, sort_keys=False, width=100000, allow_unicode=True)
    return header + body


_HEADER = ("# Generated by vibes_observe.alerting from vibes_observe/alerting/defaults.py and the\n"
           "# stack config's `alerting:` section. Do not edit: run `make generate`.\n")


def render_rule_files(cfg: AlertingConfig) -> dict[str, str]:
    """File name → Prometheus rule YAML (recording rules, then alerts grouped by component)."""
    ev = cfg.evaluation_interval
    recording = {"groups": [
        _group("vibes-ledger", ledger_rules(cfg), cfg.ledger_interval),
        # the whole-period reads, once an hour; the period rules add the minutes since
        _group("vibes-cost-checkpoints", cost_checkpoint_rules(), d.CHECKPOINT_INTERVAL),
        # period totals cannot change faster than the ledger: evaluate them at its pace
        _group("vibes-cost-periods", cost_period_rules(cfg), cfg.ledger_interval),
        _group("vibes-budgets", budget_rules(cfg), cfg.ledger_interval),
        _group("vibes-rates", shared_rate_rules(), ev),
        _group("vibes-latency", latency_rate_rules(), cfg.ledger_interval),
    ]}
    by_component: dict[str, list[dict[str, Any]]] = {}
    for a in all_alerts(cfg):
        by_component.setdefault(a.component, []).append(_alert_rule(a, cfg))
    alerts = {"groups": [_group(f"vibes-{c}", rules, ev) for c, rules in by_component.items()]}
    return {RECORDING_FILE: dump(recording, _HEADER), ALERTS_FILE: dump(alerts, _HEADER)}

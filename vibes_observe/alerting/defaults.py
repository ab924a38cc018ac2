"""Every selector, label, window and threshold the rules and dashboards use (mixin config).

Rules (``rules.py``) and dashboards (``vibes_observe.dashboards``) are generated from
this module; users change thresholds, budgets and channels through the stack config's
``alerting:`` section (see ``config.validate``), never by editing generated YAML.
Metric names come only from :mod:`vibes_sdk.names`.
"""

from __future__ import annotations

from vibes_sdk import names as n

# ------------------------------------------------------------------ label names
JOB = n.PROM_SERVICE_LABEL
MODEL = n.prom_label(n.GEN_AI_REQUEST_MODEL)
PROVIDER = n.prom_label(n.GEN_AI_PROVIDER_NAME)
OPERATION = n.prom_label(n.GEN_AI_OPERATION_NAME)
AGENT = n.prom_label(n.GEN_AI_AGENT_NAME)
COST_CENTER = n.prom_label(n.VIBES_COST_CENTER)
TOOL = n.prom_label(n.GEN_AI_TOOL_NAME)
ERROR_TYPE = n.prom_label(n.ERROR_TYPE)
TOKEN_TYPE = n.prom_label(n.GEN_AI_TOKEN_TYPE)

#: Labels the per-model ledgers keep (service + the bounded model labels).
MODEL_KEYS: tuple[str, ...] = (JOB,) + tuple(n.prom_label(a) for a in n.MODEL_LABELS)
TOOL_KEYS: tuple[str, ...] = (JOB, AGENT, TOOL)
TASK_KEYS: tuple[str, ...] = (JOB, AGENT, COST_CENTER)
SESSION_KEYS: tuple[str, ...] = (JOB, COST_CENTER)

# ------------------------------------------------------------- SDK metric names
COST = n.COST.prom
TOKENS = n.TOKENS.prom
UNPRICED = n.UNPRICED_REQUESTS.prom
REQUESTS = n.OPERATION_DURATION.prom_count
LATENCY_BUCKET = n.OPERATION_DURATION.prom_bucket
LATENCY_SUM = n.OPERATION_DURATION.prom_sum
TTFC_BUCKET = n.TIME_TO_FIRST_CHUNK.prom_bucket
TASK_DURATION_BUCKET = n.AGENT_TASK_DURATION.prom_bucket
TOOL_DURATION_BUCKET = n.TOOL_DURATION.prom_bucket
SWARM_COORDINATION_BUCKET = n.SWARM_COORDINATION_DURATION.prom_bucket
TOOL_CALLS = n.TOOL_DURATION.prom_count
TASK_CALLS_BUCKET = n.TASK_INFERENCE_CALLS.prom_bucket
SDK_DROPPED = n.SDK_DROPPED.prom
AGENTS_SPAWNED = n.AGENT_SPAWNED.prom
SESSION_MESSAGES = n.SESSION_MESSAGES.prom
SESSION_EVENTS = n.SESSION_EVENTS.prom
SESSION_DURATION_BUCKET = n.SESSION_DURATION.prom_bucket

# ------------------------------------------------ collector self-metric names
# Checked against our collector build (stack/collector/builder-config.yaml) with the
# `service.telemetry.metrics.readers[].pull.exporter.prometheus` reader the stack
# renders: counters carry NO `_total` suffix there.
COLLECTOR_JOB = "otel-collector"
COLLECTOR_EXPORTER_JOB = "otel-collector-exporter"
COLLECTOR_SIGNALS = ("spans", "metric_points", "log_records")
COLLECTOR_ACCEPTED = "otelcol_receiver_accepted_{signal}"
COLLECTOR_REFUSED = "otelcol_receiver_refused_{signal}"
COLLECTOR_FAILED = "otelcol_receiver_failed_{signal}"
COLLECTOR_SEND_FAILED = "otelcol_exporter_send_failed_{signal}"
COLLECTOR_ENQUEUE_FAILED = "otelcol_exporter_enqueue_failed_{signal}"
COLLECTOR_SENT = "otelcol_exporter_sent_{signal}"
COLLECTOR_QUEUE_SIZE = "otelcol_exporter_queue_size"
COLLECTOR_QUEUE_CAPACITY = "otelcol_exporter_queue_capacity"
#: every collector item counter, for its ledger (panels count a counter's first value)
COLLECTOR_COUNTERS = (COLLECTOR_ACCEPTED, COLLECTOR_REFUSED, COLLECTOR_FAILED, COLLECTOR_SEND_FAILED,
                      COLLECTOR_ENQUEUE_FAILED, COLLECTOR_SENT)
#: one series per resource (service) the collector's prometheus exporter sees: the
#: reference for "0, not no data" where an SDK counter never incremented
TARGET_INFO = "target_info"
PROMETHEUS_RULE_FAILURES = "prometheus_rule_evaluation_failures_total"
PROMETHEUS_RULE_MISSED = "prometheus_rule_group_iterations_missed_total"
ALERTMANAGER_NOTIFY_FAILED = "alertmanager_notifications_failed_total"

# ------------------------------------------------------------ recording rules
#: Exact per-step increments (see docs/alerting.md "How cost is counted").
LEDGER_COST = "vibes:llm_cost_usd:increment"
LEDGER_TOKENS = "vibes:llm_tokens:increment"
LEDGER_REQUESTS = "vibes:llm_requests:increment"
LEDGER_UNPRICED = "vibes:llm_unpriced_requests:increment"
LEDGER_TOOL_CALLS = "vibes:tool_calls:increment"
LEDGER_TASK_CALLS = "vibes:agent_task_inference_calls_bucket:increment"
LEDGER_AGENTS_SPAWNED = "vibes:agents_spawned:increment"
LEDGER_SESSION_MESSAGES = "vibes:session_messages:increment"
LEDGER_SESSION_EVENTS = "vibes:session_events:increment"
LEDGER_SESSION_DURATION_BUCKET = "vibes:session_duration_seconds_bucket:increment"
LEDGER_LATENCY_SUM = "vibes:llm_latency_seconds_sum:increment"
LEDGER_LATENCY_BUCKET = "vibes:llm_latency_seconds_bucket:increment"
LEDGER_TTFC_BUCKET = "vibes:llm_time_to_first_chunk_seconds_bucket:increment"
LEDGER_TASK_DURATION_BUCKET = "vibes:agent_task_duration_seconds_bucket:increment"
LEDGER_TOOL_DURATION_BUCKET = "vibes:tool_duration_seconds_bucket:increment"
LEDGER_SWARM_COORDINATION_BUCKET = "vibes:swarm_coordination_seconds_bucket:increment"
LEDGER_SDK_DROPPED = "vibes:sdk_dropped:increment"
#: collector counters: vibes:otelcol_exporter_sent_spans:increment etc.
LEDGER_COLLECTOR = "vibes:{counter}:increment"
#: Calendar-period cost so far (UTC): vibes:llm_cost_usd:day|week|month
COST_PERIOD = "vibes:llm_cost_usd:{period}"
#: The period's whole hours so far, recorded once per checkpoint interval (the only rules
#: that read a whole period of the ledger), and per series the hour boundary it counts to.
COST_PERIOD_CHECKPOINT = "vibes:llm_cost_usd:{period}_checkpoint"
COST_PERIOD_CHECKPOINT_END = "vibes:llm_cost_usd:{period}_checkpoint_end"
CHECKPOINT_INTERVAL = "1h"
#: How far back a period rule finds the latest checkpoint: survives several missed
#: checkpoint evaluations (a Prometheus restart keeps the recorded ones).
CHECKPOINT_LOOKBACK = "6h"
#: A checkpoint counts the hours that ended at least this long before it, so a ledger step
#: still being written (a slow ledger evaluation) falls in the minutes the period rule adds.
CHECKPOINT_MARGIN = "5m"
BUDGET_LIMIT = "vibes:budget_usd:limit"
BUDGET_SPENT = "vibes:budget_usd:spent"
BUDGET_BURN = "vibes:budget_usd:burn_rate{window}"  # USD per second over a window
LLM_REQUEST_RATE = "vibes:llm_requests:rate5m"
LLM_ERROR_RATIO = "vibes:llm_errors:ratio_rate5m"
LLM_LATENCY_QUANTILE = "vibes:llm_latency_seconds:p{q}_5m"
#: per-second rate of the latency buckets by service, model and bucket: the quantiles' input
LLM_LATENCY_BUCKET_RATE = "vibes:llm_latency_seconds_bucket:rate5m"
TOOL_ERROR_RATIO = "vibes:tool_errors:ratio_rate5m"
RATE_WINDOW = "5m"

PERIODS = ("day", "week", "month")

#: Ledger step: how often exact increments are recorded (a rule-group interval).
LEDGER_INTERVAL = "1m"

# ---------------------------------------------------------------- thresholds
# name -> settings; users override any key through alerting.thresholds.<name>.<key>.
THRESHOLDS: dict[str, dict[str, object]] = {
    "llm_error_rate": {"warning": 0.05, "critical": 0.25, "window": "5m", "for": "10m"},
    "llm_latency": {"quantile": 0.95, "warning_seconds": 30.0, "window": "5m", "for": "15m"},
    "tool_error_rate": {"warning": 0.10, "window": "10m", "for": "10m"},
    "agent_iterations": {"max_calls": 32, "window": "15m", "for": "0m"},
    "unpriced_model": {"window": "1h", "for": "0m"},
    "collector_refused": {"window": "5m", "for": "5m"},
    "collector_send_failed": {"window": "5m", "for": "5m"},
    "collector_queue": {"fill_ratio": 0.8, "for": "5m"},
    "target_down": {"for": "5m"},
    "rule_failures": {"window": "10m", "for": "5m"},
    "ledger_missed": {"window": "15m", "for": "0m"},
    "budget_exceeded": {"for": "0m"},
    "budget_forecast": {"long_window": "6h", "short_window": "1h", "for": "15m"},
}

#: Shipped budgets (replaced as a whole by alerting.budgets).
BUDGETS: list[dict[str, object]] = [
    {"name": "daily", "amount": 50.0, "period": "day"},
    {"name": "monthly", "amount": 1000.0, "period": "month"},
]

RUNBOOK_BASE_URL = (
    "https://github.com/vibes-observe/vibes-observe/blob/main/alert_rules/RUNBOOK.md"
)

# ------------------------------------------------------------- notifications
ROUTING = {
    "group_by": ["alertname", "component", "job", "budget"],
    "group_wait": "30s",
    "group_interval": "5m",
    "repeat_interval": {"critical": "1h", "warning": "4h", "info": "24h"},
    "watchdog_repeat_interval": "1m",
}

"""Every Prometheus panel query of every dashboard, run against the live Prometheus after a
known workload, returns the value the workload implies (worked out here by hand from the
workload and the test price file, not from the code under test).

Grafana's variables are replaced by concrete values ($service = this test's service,
$__range = 1h, $__interval = $__rate_interval = 5m). A target with its own step of an hour
or more is run as Grafana runs it (a range query whose end is aligned DOWN to the step) and
its points summed. Loki and Jaeger targets are checked for shape in tests/unit/dashboards
(no Loki/Grafana binaries here).

A second, sparse workload (every model, agent and tool seen once or twice, all in ONE
export) checks that no panel misses a series whose first sample already holds all its
observations — what ``rate()`` cannot see.
"""
from __future__ import annotations

import json
import math
import re
import time
from datetime import datetime
import urllib.error
import urllib.parse
import uuid

import pytest
from conftest import http_json, poll, live_sdk_settings

import vibes_sdk as vibes
from vibes_observe import datasources
from vibes_observe.alerting import defaults as d
from vibes_observe.durations import seconds as duration_seconds
from vibes_observe import dashboards
from vibes_observe.dashboards import DASHBOARDS, prometheus_targets, render

A, B, U = "vt-dash-a", "vt-dash-b", "vt-dash-unpriced"
# USD per 1M tokens. Cache reads cost the same as input for A, so cost = in*1 + out*2.
PRICES = {"currency": "USD", "unit": "per_1M_tokens", "models": {
    A: {"provider": "vibes-test", "input": 1.0, "output": 2.0, "cache_read": 1.0},
    B: {"provider": "vibes-test", "input": 3.0, "output": 6.0}}}
COST_A = 1000 * 1.0 / 1e6 + 100 * 2.0 / 1e6          # $0.0012 per call
COST_B = 2000 * 3.0 / 1e6 + 500 * 6.0 / 1e6          # $0.009 per call
ROUNDS = 2
TOTAL_COST = ROUNDS * (4 * COST_A + 2 * COST_B)       # $0.0456
BUDGET = 0.1


class DashError(Exception):
    pass


def q(lo: float, hi: float, rank_in_bucket: float) -> float:
    """Prometheus' linear interpolation inside a bucket."""
    return lo + (hi - lo) * rank_in_bucket


# Per round: A 4 calls (~0.05 s, ttfc 0.03 s), B 2 calls (~0.2 s) + 1 failure (~0 s),
# U 1 call (~0 s). Buckets (classic, from names.DURATION_BUCKETS): 0.01 .. 0.04, 0.08,
# 0.16, 0.32. All calls: 2 in (0,0.01], 4 in (0.04,0.08], 2 in (0.16,0.32] per round.
P99_ALL = q(0.16, 0.32, (0.99 * 8 - 6) / 2)          # 0.3136
P_A = {p: q(0.04, 0.08, p) for p in (0.5, 0.95, 0.99)}
P_B = {p: q(0.16, 0.32, (p * 3 - 1) / 2) if p * 3 > 1 else q(0, 0.01, p * 3) for p in (0.5, 0.95, 0.99)}
P_U = {p: q(0, 0.01, p) for p in (0.5, 0.95, 0.99)}
# Tool calls sleep 45 ms: in (0.04,0.08] with 35 ms to spare for a loaded machine.
TOOL_P95_SEARCH = q(0.04, 0.08, (0.95 * 4 - 1) / 3)  # 3 in (0.04,0.08], 1 failure in (0,0.01]
TOOL_P95_CALC = q(0.04, 0.08, 0.95)


class Each:
    """A predicate on the whole {label value: value} map of a multi-series result."""

    def __init__(self, pred):
        self.pred = pred


class Subset(dict):
    """Only these series are checked: others may exist (e.g. budgets of other tests, or of a
    previous config: Prometheus keeps a removed recording rule's series up to 5 minutes)."""


def expectations(service: str, cost_center: str, avg_all: float, now: float) -> dict:
    """(dashboard, panel title, refId) -> expected result.

    float: one series with that value; dict: {label value: value} over the panel's `by`
    labels; callable: a predicate on the single value (None when there is no series);
    Each: a predicate on the whole label map.
    """
    def near(x, tol):
        return lambda v: abs(v - x) <= tol

    zero = Each(lambda r: bool(r) and all(v == 0 for v in r.values()))  # 0, not "no data"
    collector = {}
    for sig in ("spans", "metric_points", "log_records"):
        collector[("stack-health", "Accepted per signal", sig)] = Each(lambda r: r.get("otlp", 0) > 0)
        for prefix, title in (("refused_", "Refused or failed per signal"), ("failed_", "Refused or failed per signal"),
                              ("send_", "Export failures"), ("enqueue_", "Export failures")):
            collector[("stack-health", title, prefix + sig)] = zero
        collector[("stack-health", "Sent per exporter", sig)] = Each(
            (lambda r: sum(r.values()) > 0) if sig == "spans" else (lambda r: all(v >= 0 for v in r.values())))
    per_round_tokens = 4 * 1100 + 2 * 2500 + 110
    day_left = 86400 - now % 86400
    return collector | {
        # ---- Overview
        ("overview", "Requests", "A"): 16.0,
        ("overview", "Tokens", "A"): float(ROUNDS * per_round_tokens),
        ("overview", "Cost", "A"): TOTAL_COST,
        ("overview", "Active sessions", "A"): 1.0,
        ("overview", "Active agents", "A"): 1.0,
        ("overview", "Success rate", "A"): 14 / 16,
        ("overview", "Average latency", "A"): near(avg_all, 0.005),
        ("overview", "p99 latency", "A"): P99_ALL,
        ("overview", "Error rate", "A"): 2 / 16,
        ("overview", "Requests per hour", "A"): 16.0,
        ("overview", "Latency (average and p99)", "A"): near(avg_all, 0.005),  # both rounds in 5m
        ("overview", "Latency (average and p99)", "B"): P99_ALL,
        ("overview", "Top models", "A"): {A: 8.0, B: 6.0, U: 2.0},
        ("overview", "Top tools", "A"): {"search": 8.0, "calc": 2.0},
        # ---- Cost
        ("cost", "Today", "A"): TOTAL_COST,
        ("cost", "This week", "A"): TOTAL_COST,
        ("cost", "This month", "A"): TOTAL_COST,
        ("cost", "All time", "A"): TOTAL_COST,
        ("cost", "Time range", "A"): TOTAL_COST,
        ("cost", "Unpriced calls", "A"): 2.0,
        ("cost", "Unpriced tokens", "A"): 0.0,  # every token of the SDK's calls is accounted for
        ("cost", "By model", "A"): {A: ROUNDS * 4 * COST_A, B: ROUNDS * 2 * COST_B},
        ("cost", "By agent", "A"): {"dash-agent": TOTAL_COST},
        ("cost", "By cost center", "A"): {cost_center: TOTAL_COST},
        ("cost", "Spend per interval", "A"): {A: ROUNDS * 4 * COST_A, B: ROUNDS * 2 * COST_B},
        ("cost", "Budget used", "A"): Subset({"dash-budget": TOTAL_COST / BUDGET}),
        ("cost", "Budgets", "spent"): Subset({"dash-budget": TOTAL_COST}),
        ("cost", "Budgets", "limit"): Subset({"dash-budget": BUDGET}),
        ("cost", "Budgets", "projected"): Subset({"dash-budget": near(TOTAL_COST + TOTAL_COST / 21600 * day_left, 1e-4)}),
        ("cost", "Budgets", "runs_out_in_seconds"): Subset({"dash-budget": (BUDGET - TOTAL_COST) / (TOTAL_COST / 3600)}),
        ("cost", "Burn rate", "A"): Subset({"dash-budget": TOTAL_COST}),
        ("cost", "Burn rate", "B"): Subset({"dash-budget": TOTAL_COST / 6}),
        ("cost", "Unpriced calls by model", "A"): {U: 2.0},
        # ---- Models
        ("models", "Requests per interval", "A"): {A: 8.0, B: 6.0, U: 2.0},
        ("models", "Tokens per interval", "A"): {(A, "input"): 8000.0, (A, "output"): 800.0,
                                                 (B, "input"): 8000.0, (B, "output"): 2000.0,
                                                 (U, "input"): 200.0, (U, "output"): 20.0},
        ("models", "Requests (time range)", "A"): {A: 8.0, B: 6.0, U: 2.0},
        ("models", "Input tokens (time range)", "A"): {A: 8000.0, B: 8000.0, U: 200.0},
        ("models", "Output tokens (time range)", "A"): {A: 800.0, B: 2000.0, U: 20.0},
        ("models", "Latency p50 / p95 / p99", "p50"): {A: P_A[0.5], B: P_B[0.5], U: P_U[0.5]},
        ("models", "Latency p50 / p95 / p99", "p95"): {A: P_A[0.95], B: P_B[0.95], U: P_U[0.95]},
        ("models", "Latency p50 / p95 / p99", "p99"): {A: P_A[0.99], B: P_B[0.99], U: P_U[0.99]},
        ("models", "Time to first chunk p50 / p95", "p50"): {A: q(0.02, 0.04, 0.5)},
        ("models", "Time to first chunk p50 / p95", "p95"): {A: q(0.02, 0.04, 0.95)},
        ("models", "p95 latency (time range)", "A"): {A: P_A[0.95], B: P_B[0.95], U: P_U[0.95]},
        ("models", "Error rate by error type (time range)", "A"): {"DashError": 2 / 16},
        ("models", "Error rate by model", "A"): {A: 0.0, B: 1 / 3, U: 0.0},
        ("models", "Cache hit rate (time range)", "A"): {A: 0.25, B: 0.0, U: 0.0},
        # ---- Agents & swarms
        ("agents", "Agents running", "A"): 1.0,
        ("agents", "Agents started", "A"): 1.0,
        ("agents", "Swarms running", "A"): 1.0,
        ("agents", "Swarm utilization", "A"): 0.5,
        ("agents", "Tool calls", "A"): 10.0,
        ("agents", "Runaway tasks", "A"): 0.0,
        ("agents", "Running agents", "A"): {"dash-agent": 1.0},
        ("agents", "Task duration p50 / p95", "p50"): {"dash-agent": q(0.64, 1.28, 0.5)},
        ("agents", "Task duration p50 / p95", "p95"): {"dash-agent": q(0.64, 1.28, 0.95)},
        ("agents", "LLM calls per task p95 (time range)", "A"): {"dash-agent": q(4, 8, 0.95)},
        ("agents", "Tool calls by tool (time range)", "A"): {"search": 8.0, "calc": 2.0},
        ("agents", "Tool error rate (time range)", "A"): {"search": 0.25, "calc": 0.0},
        ("agents", "Tool call duration p95", "A"): {"search": TOOL_P95_SEARCH, "calc": TOOL_P95_CALC},
        ("agents", "Swarm coordination p95", "A"): q(0.08, 0.16, 0.95),
        ("agents", "Swarm agent utilization", "A"): {cost_center: 0.5},
        # ---- Sessions
        ("sessions", "Open sessions", "A"): 1.0,
        ("sessions", "Messages", "A"): 6.0,
        ("sessions", "Events", "A"): 4.0,
        ("sessions", "Median session length", "A"): q(1, 5, 0.5),
        ("sessions", "Open sessions by cost center", "A"): {cost_center: 1.0},
        ("sessions", "Session duration p50 / p95", "p50"): q(1, 5, 0.5),
        ("sessions", "Session duration p50 / p95", "p95"): q(1, 5, 0.95),
        # ---- Stack health (the pipeline after the workload)
        ("stack-health", "Backend up", "A"): Each(lambda r: {"otel-collector", "otel-collector-exporter", "jaeger",
                                                            "prometheus", "alertmanager"}
                                                  <= {k for k, v in r.items() if v == 1}),
        ("stack-health", "Rule evaluation failures", "A"): 0.0,
        ("stack-health", "Notification failures", "A"): 0.0,
        ("stack-health", "Ledger steps missed", "A"): 0.0,
        ("stack-health", "SDK drops", "A"): lambda v: v in (None, 0.0),
        ("stack-health", "Largest queue fill", "A"): lambda v: 0.0 <= v < 0.5,
        ("stack-health", "Exporter queue fill", "A"): Each(lambda r: bool(r) and all(0 <= v < 0.5 for v in r.values())),
        ("stack-health", "SDK drops by reason", "A"): zero,
    }


def substitute(expr: str, service: str) -> str:
    return dashboards.substitute(expr, {"$__rate_interval": "5m", "$__interval": "5m", "$__interval_ms": "300000",
                                        "$__range": "1h", "$service": service,
                                        "$model": ".*", "$agent": ".*", "$cost_center": ".*"})


def _run_round(session, swarm, durations: list[float]) -> None:
    with swarm.coordination():
        time.sleep(0.1)
    with vibes.session(f"short-{uuid.uuid4().hex[:6]}"):
        time.sleep(1.2)
    session.record_message("user", 3)
    session.record_event("handoff", to="dash-agent")
    session.record_event("handoff", to="dash-agent")

    def timed(fn):
        start = time.perf_counter()
        try:
            fn()
        except DashError:
            pass
        durations.append(time.perf_counter() - start)

    def call_a():
        with vibes.llm_call(model=A, provider="vibes-test") as call:
            time.sleep(0.03)
            call.first_chunk()
            time.sleep(0.02)
            call.record_usage(1000, 100, cache_read_tokens=250)

    def call_b():
        with vibes.llm_call(model=B, provider="vibes-test") as call:
            time.sleep(0.2)
            call.record_usage(2000, 500)

    def call_b_fails():
        with vibes.llm_call(model=B, provider="vibes-test"):
            raise DashError("provider said no")

    def call_u():
        with vibes.llm_call(model=U, provider="vibes-test") as call:
            call.record_usage(100, 10)

    with vibes.task("dash-task"):
        for fn in [call_a] * 4 + [call_b] * 2 + [call_b_fails, call_u]:
            timed(fn)
        for tool in ("search", "search", "search", "calc"):
            with vibes.tool_call(tool):
                time.sleep(0.045)
        try:
            with vibes.tool_call("search"):
                raise DashError("tool failed")
        except DashError:
            pass
        time.sleep(0.3)


def _values(result: list[dict], by: list[str]) -> dict:
    out = {}
    for series in result:
        key = tuple(series["metric"].get(b, "") for b in by)
        out[key[0] if len(key) == 1 else key] = float(series["value"][1])
    return out


def _by_labels(expr: str) -> list[str]:
    import re
    found = re.findall(r"by \(([^)]*)\)", expr)
    if not found:
        return []
    labels = [x.strip() for x in found[0].split(",") if x.strip() != "le"]
    return labels


def _compare(name: str, expected, result: list[dict], expr: str) -> str | None:
    by = _by_labels(expr) or ["budget"]
    if expected is None:
        return None if not result else f"{name}: expected no series, got {result}"
    if isinstance(expected, Each):
        values = _values(result, [b for b in by if b != "job"] or by)
        return None if expected.pred(values) else f"{name}: {values} failed its check"
    if callable(expected):
        if len(result) > 1:
            return f"{name}: expected one value, got {result}"
        value = float(result[0]["value"][1]) if result else None
        return None if value is not None and expected(value) or value is None and expected(None) \
            else f"{name}: {value} failed its check"
    if isinstance(expected, dict):
        values = _values(result, [b for b in by if b != "job"] or by)
        if isinstance(expected, Subset):
            values = {k: v for k, v in values.items() if k in expected}
        if set(values) != set(expected):
            return f"{name}: series {sorted(values)} != expected {sorted(expected)}"
        for key, want in expected.items():
            ok = want(values[key]) if callable(want) else math.isclose(values[key], want, rel_tol=1e-9, abs_tol=1e-12)
            if not ok:
                return f"{name}[{key}]: {values[key]} != {want}"
        return None
    if len(result) != 1:
        return f"{name}: expected one series = {expected}, got {result}"
    got = float(result[0]["value"][1])
    return None if math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12) else f"{name}: {got} != {expected}"


def _check_jaeger_targets(stack, service: str, session_id: str) -> None:
    """Run every Jaeger panel query through Jaeger's API as Grafana would, with the variables set."""
    from vibes_sdk import names

    seen = 0
    for slug in DASHBOARDS:
        for panel in json.loads(render(slug))["panels"]:
            for target in panel.get("targets", []):
                if (target.get("datasource") or {}).get("uid") != datasources.JAEGER_UID:
                    continue
                seen += 1
                params = {"service": target["service"].replace("$service", service), "limit": target["limit"],
                          "lookback": "1h"}
                tags = {}
                if "tags" in target:
                    key, _, value = target["tags"].partition("=")
                    tags[key] = value.replace("$session", session_id)
                    params["tags"] = json.dumps(tags)
                url = f"{stack.jaeger_url}/api/traces?" + urllib.parse.urlencode(params)

                def traces():
                    found = http_json(url).get("data") or []
                    return found if len(found) >= ROUNDS else None
                found = poll(traces, timeout=60, what=f"{slug}/{panel['title']}: {ROUNDS} traces from Jaeger")
                for trace in found:
                    processes = {p["serviceName"] for p in trace["processes"].values()}
                    assert processes == {service}, f"{slug}/{panel['title']}: {processes}"
                    if tags:
                        span_sessions = {t["value"] for sp in trace["spans"] for t in sp["tags"]
                                         if t["key"] == names.VIBES_SESSION_ID}
                        assert span_sessions == {session_id}, f"{slug}/{panel['title']}: {span_sessions}"
                if tags:  # one trace per task, both in the session
                    assert len(found) == ROUNDS, f"{slug}/{panel['title']}: {len(found)} traces"
    assert seen >= 3


#: The groups that read the ledger's increments (cost periods) or the periods (budgets)
LEDGER_READERS = ("vibes-cost-periods", "vibes-budgets")


def _evaluated_since(stack, groups: tuple[str, ...], since: float) -> bool:
    """Each of ``groups`` finished an evaluation that started after ``since`` (wall clock).

    A ledger increment reaches the period totals only when their group next runs (each group
    at its own phase of the minute), and Prometheus commits each rule of a group as it goes:
    the day's total can count the workload while the week's and month's, recorded after it,
    do not yet (seconds apart on a loaded machine).
    """
    last = {g["name"]: g["lastEvaluation"] for g in http_json(f"{stack.prometheus_url}/api/v1/rules")["data"]["groups"]}
    # RFC 3339 with nanoseconds: fromisoformat takes at most microseconds
    return all(g in last and datetime.fromisoformat(re.sub(r"(\.\d{6})\d+", r"\1", last[g].replace("Z", "+00:00"))
                                                    ).timestamp() > since for g in groups)


def prometheus_query(stack):
    def query(expr: str, at: float | None = None) -> list[dict]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        data = http_json(f"{stack.prometheus_url}/api/v1/query?" + urllib.parse.urlencode(params))
        assert data["status"] == "success", data
        return data["data"]["result"]
    return query


def _grafana_range_sum(stack, expr: str, step_s: int, at: float) -> list[dict]:
    """Grafana's range query for a step of ``step_s``: start and end aligned down to the step
    (the last point is the start of the current step). Each series' points summed."""
    end = int(at // step_s * step_s)
    params = {"query": expr, "start": end - step_s, "end": end, "step": step_s}
    data = http_json(f"{stack.prometheus_url}/api/v1/query_range?" + urllib.parse.urlencode(params))
    assert data["status"] == "success", data
    return [{"metric": r["metric"], "value": [end, str(sum(float(v) for _, v in r["values"]))]}
            for r in data["data"]["result"]]


def panel_results(stack, service: str, at: float, failures: list[str]):
    """(dashboard, panel title, refId), query, result for every Prometheus panel target.

    Hour-step targets run as Grafana runs them; the others as instant queries at ``at``.
    A query Prometheus refuses is added to ``failures``."""
    query = prometheus_query(stack)
    for slug in DASHBOARDS:
        for panel, target in prometheus_targets(slug):
            key = (slug, panel["title"], target["refId"])
            expr = substitute(target["expr"], service)
            step_s = duration_seconds(target.get("interval") or "0s", allow_zero=True)
            try:
                result = (_grafana_range_sum(stack, expr, int(step_s), at) if step_s >= 3600
                          else query(expr, at))
            except urllib.error.HTTPError as exc:  # Prometheus refused to evaluate it
                failures.append(f"{key}: HTTP {exc.code} {exc.read().decode()[:300]}\n    query: {expr}")
                continue
            yield key, expr, result


@pytest.fixture(scope="module")
def dashboard_stack(stack):
    cost_center = f"dash-cc-{uuid.uuid4().hex[:6]}"
    stack.redeploy({"alerting": {
        "ledger_interval": "2s", "evaluation_interval": "2s",
        "budgets": [{"name": "dash-budget", "amount": BUDGET, "period": "day", "cost_center": cost_center}],
        "channels": [{"type": "file"}]}})
    yield cost_center
    stack.reset()


def test_every_prometheus_panel_returns_the_expected_value(stack, dashboard_stack, tmp_path):
    cost_center = dashboard_stack
    service = f"dash-live-{uuid.uuid4().hex[:8]}"
    price_file = tmp_path / "prices.json"
    price_file.write_text(json.dumps(PRICES))
    vibes.init(service_name=service, **live_sdk_settings(stack), price_file=str(price_file))
    all_durations: list[float] = []
    try:
        with vibes.session(f"dash-session-{service}", user_id="dash-user", cost_center=cost_center) as sess, \
                vibes.swarm("dash-swarm") as swarm, vibes.agent("dash-agent"):
            for _ in range(ROUNDS):
                _run_round(sess, swarm, all_durations)
            swarm.set_utilization(0.5)
            assert vibes.flush(20)

            query = prometheus_query(stack)

            def caught_up():
                res = query(f'sum(vibes:llm_cost_usd:day{{job="{service}"}})')
                spent = query(f'vibes:budget_usd:spent{{budget="dash-budget"}}')
                return (res and math.isclose(float(res[0]["value"][1]), TOTAL_COST, rel_tol=1e-9)
                        and spent and math.isclose(float(spent[0]["value"][1]), TOTAL_COST, rel_tol=1e-9))
            poll(caught_up, timeout=120, what="the ledger and calendar-period rules to count the workload")
            counted_at = time.time()
            poll(lambda: _evaluated_since(stack, LEDGER_READERS, counted_at), timeout=150,
                 what="every period and budget rule to run after the ledger counted the workload")
            at = time.time()
            expected = expectations(service, cost_center, sum(all_durations) / len(all_durations), at)

            failures, checked = [], set()
            for key, expr, result in panel_results(stack, service, at, failures):
                if key not in expected:
                    failures.append(f"{key}: no expectation written for this panel query")
                    continue
                checked.add(key)
                problem = _compare(str(key), expected[key], result, expr)
                if problem:
                    failures.append(problem + f"\n    query: {expr}")
            if failures:  # say which rules Prometheus could not evaluate, if any
                rules = http_json(f"{stack.prometheus_url}/api/v1/rules")["data"]["groups"]
                failures += [f"rule {g['name']}/{r['name']}: {r.get('lastError')}"
                             for g in rules for r in g["rules"] if r.get("health") not in ("ok", "unknown")]
                failures.append("task-call buckets: " + str(query(
                    f'vibes:agent_task_inference_calls_bucket:increment{{job="{service}"}}', at)))
            assert not failures, "\n".join(failures)
            assert checked == set(expected), f"expectations for panels that do not exist: {set(expected) - checked}"
            _check_jaeger_targets(stack, service, sess.session_id)
            # the ledger and period rules keep up with their 2 s interval (a missed
            # iteration would lose a ledger step)
            durations_by_group = {r["metric"]["rule_group"].rsplit(";", 1)[-1]: float(r["value"][1]) for r in query(
                'prometheus_rule_group_last_duration_seconds{rule_group=~".*;vibes-.*"}')}
            assert durations_by_group and max(durations_by_group.values()) < 2.0, durations_by_group
            print("rule group evaluation seconds:", durations_by_group)
    finally:
        vibes.shutdown(10)


# ---------------------------------------------------------------- sparse workload
S1, S2 = "vt-sparse-1", "vt-sparse-2"
SPARSE_PRICES = {"currency": "USD", "unit": "per_1M_tokens", "models": {
    S1: {"provider": "vibes-test", "input": 1.0, "output": 2.0, "cache_read": 0.5},
    S2: {"provider": "vibes-test", "input": 3.0, "output": 6.0}}}
#: label -> every value the sparse workload gives it (each seen once or twice)
SPARSE = {"gen_ai_request_model": {S1, S2}, "gen_ai_agent_name": {"sparse-one", "sparse-two"},
          "gen_ai_tool_name": {"t-once", "t-twice"}}
#: panels whose truth is narrower than "every value" in this workload
SPARSE_ONLY = {("cost", "Unpriced calls by model", "A"): set(),        # every model is priced
               ("models", "Error rate by error type (time range)", "A"): {"DashError"}}
#: stat panels of counters this workload never increments: no series, shown as their "0"
EMPTY_IS_ZERO = {("cost", "Unpriced calls", "A"), ("stack-health", "SDK drops", "A")}


def _sparse_workload() -> None:
    """S1 once (agent sparse-one, tool t-once); S2 twice, one failing (agent sparse-two's two
    tasks, tool t-twice in each); every call streams."""
    def call(model: str, fail: bool = False) -> None:
        try:
            with vibes.llm_call(model=model, provider="vibes-test") as c:
                time.sleep(0.02)
                c.first_chunk()
                if fail:
                    raise DashError("sparse failure")
                c.record_usage(1000, 100, cache_read_tokens=250 if model == S1 else 0)
        except DashError:
            pass

    for agent, model, tool, tasks in (("sparse-one", S1, "t-once", 1), ("sparse-two", S2, "t-twice", 2)):
        with vibes.agent(agent):
            for i in range(tasks):
                with vibes.task(f"{agent}-task"):
                    call(model, fail=i == 1)
                    with vibes.tool_call(tool):
                        time.sleep(0.015)


def _series_problem(key, result: list[dict], expr: str) -> str | None:
    """None when every value the sparse workload gives the panel's labels has a finite series."""
    by = [b for b in _by_labels(expr) if b in SPARSE or b == "error_type"]
    finite = [r for r in result if math.isfinite(float(r["value"][1]))]
    if not by:
        return None if finite or (key in EMPTY_IS_ZERO and not result) else f"{key}: no finite value ({result})"
    for label in by:
        want = SPARSE_ONLY.get(key, SPARSE.get(label, set()))
        got = {r["metric"].get(label, "") for r in finite}
        if not want <= got:
            return f"{key}: misses {sorted(want - got)} of {label} (has {sorted(got)})"
    return None


def test_no_panel_misses_a_series_seen_once_or_twice(stack, dashboard_stack, tmp_path):
    """Every model, agent and tool is seen once or twice (plus one message, event, coordination
    and closed session) and all of it leaves in ONE export: each series' first sample
    already holds its only observations."""
    cost_center = dashboard_stack
    service = f"dash-sparse-{uuid.uuid4().hex[:8]}"
    price_file = tmp_path / "prices.json"
    price_file.write_text(json.dumps(SPARSE_PRICES))
    settings = live_sdk_settings(stack) | {"metric_export_interval": 3600}  # only flush() exports
    vibes.init(service_name=service, **settings, price_file=str(price_file))
    try:
        with vibes.session(f"sparse-{service}", cost_center=cost_center) as sess, \
                vibes.swarm("sparse-swarm") as swarm:
            sess.record_message("user", 1)
            sess.record_event("handoff", to="sparse-two")
            with swarm.coordination():
                time.sleep(0.05)
            with vibes.session(f"sparse-closed-{service}"):
                pass
            _sparse_workload()
            swarm.set_utilization(0.5)
            assert vibes.flush(20)
            query = prometheus_query(stack)

            def counted():  # the last ledger rules of the group see the one export
                calls = query(f'sum(sum_over_time({d.LEDGER_REQUESTS}{{job="{service}"}}[5m]))')
                coord = query(f'sum(sum_over_time({d.LEDGER_SWARM_COORDINATION_BUCKET}{{job="{service}",'
                              f'le="+Inf"}}[5m]))')
                return calls and float(calls[0]["value"][1]) == 3 and coord and float(coord[0]["value"][1]) == 1
            poll(counted, timeout=120, what="the ledger to count the one export of the sparse workload")
            counted_at = time.time()
            poll(lambda: _evaluated_since(stack, LEDGER_READERS, counted_at), timeout=150,
                 what="the period rules to run after the ledger counted the sparse workload")
            time.sleep(3)  # one more ledger step: every rule of the group has recorded it
            at = time.time()
            failures, seen = [], 0
            for key, expr, result in panel_results(stack, service, at, failures):
                if key[0] == "cost" and key[1] in ("Budget used", "Budgets", "Burn rate"):
                    continue  # budgets are the fixture's, not this service's
                seen += 1
                problem = _series_problem(key, result, expr)
                if problem:
                    failures.append(problem + f"\n    query: {expr}")
            assert seen > 60
            assert not failures, "\n".join(failures)
    finally:
        vibes.shutdown(10)

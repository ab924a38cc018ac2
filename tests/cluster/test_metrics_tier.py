"""The multi-host metrics tier (Thanos receive/query/rule + an Alertmanager gossip pair) on namespace
hosts: same rule results as the single-host Prometheus, an ingestor killed under load loses nothing,
a budget alert notifies once. Figures (start times, RSS, ingest rate) print in the terminal summary.
"""
from __future__ import annotations

import json
import math
import sys
import time
from typing import Iterator

import pytest
import yaml

from vibes_observe.alerting import defaults as d
from vibes_stack import config
from vibes_stack.components import thanos

from . import faults
from .hosts import Cluster
from .metrics_tier import (FIGURES, Tier, alert_receiver, api, http_get, instant, lab_spec, listening_addresses,
                           reference_prometheus, remote_write_url, render, rss_mib, rule_files)
from .remote_write import LOAD_METRIC, SteadyLoad, Writer

BUDGET = {"name": "tiny", "amount": 0.01, "period": "day"}
# a fast ledger and evaluation so the test sees several ledger steps in a minute or two
STACK = {"intervals": {"evaluation": "5s"},
         "alerting": {"ledger_interval": "15s", "budgets": [BUDGET], "routing": {"group_wait": "1s"}}}
STEP_S = 5
GROWTH_STEPS = 12  # one minute of growing counters
HOLD_S = 40  # counters flat for more than two ledger steps: every increment is recorded on both engines
# Thanos receive puts its tenant on every stored series as an external label; the single-host
# Prometheus has no tenants. Results are compared without it (README: "Metrics tier").
TENANT_LABEL = "tenant_id"


@pytest.fixture(scope="module")
def tier() -> Iterator[Tier]:
    cfg = config.build(STACK)
    with Cluster(lab_spec()) as cluster:
        began = time.monotonic()
        processes = render(cluster, cfg)
        processes += [reference_prometheus(cluster.group("reference")[0], cfg, rule_files(processes)),
                      alert_receiver(cluster.group("receivers")[0], cfg, sys.executable)]
        up = Tier(cluster, cfg, processes)
        up.start_all()
        FIGURES["tier start (all processes ready)"] = f"{time.monotonic() - began:.1f}s"
        for name, started in up.running.items():
            FIGURES[f"{started.process.role} {name}"] = (f"ready in {started.seconds_to_ready:.1f}s, "
                                                         f"RSS {rss_mib(started.popen.pid):.0f} MiB")
        yield up


# --- the workload: the ledger's source counters, the same samples to both engines
MODELS = (("chat", "openai", "gpt-4o", "writer", "research"), ("chat", "anthropic", "claude-x", "critic", "ops"))
LATENCY_BOUNDS = ("0.5", "1", "2.5", "+Inf")


def ledger_workload(step: int, at_ms: int, job: str = "agents") -> list:
    """Counters after ``step`` steps (each step: 2 calls per model, one of the second model's
    failing; the second model is unpriced), every series with the sample (value, at_ms)."""
    series = []
    for i, (operation, provider, model, agent, cost_center) in enumerate(MODELS):
        keys = dict(zip(d.MODEL_KEYS, (job, operation, provider, model, agent, cost_center)))

        def add(name, value, **extra):
            series.append(({"__name__": name, **keys, **extra}, [(float(value), at_ms)]))

        add(d.COST, step * 0.004 * (i + 1))
        add(d.TOKENS, step * 300, **{d.TOKEN_TYPE: "input"})
        add(d.TOKENS, step * 120, **{d.TOKEN_TYPE: "output"})
        add(d.REQUESTS, step * (2 - i))
        if i:
            add(d.REQUESTS, step, **{d.ERROR_TYPE: "timeout"})
            add(d.UNPRICED, step)
        add(d.LATENCY_SUM, step * 1.7)
        for j, le in enumerate(LATENCY_BOUNDS):
            add(d.LATENCY_BUCKET, step * min(2, j + 1), le=le)
    return series


def write_both(writers: list[Writer], series) -> None:
    for writer in writers:
        status, body = writer.send(series)
        assert 200 <= status < 300, f"{writer.host}:{writer.port}: {status} {body}"


def rule_entries(rule_files: dict[str, str]) -> list[dict]:
    return [rule for text in rule_files.values() for group in yaml.safe_load(text)["groups"]
            for rule in group["rules"]]


def normalised(result: dict[frozenset, float]) -> dict[frozenset, float]:
    return {frozenset((k, v) for k, v in labels if k != TENANT_LABEL): value for labels, value in result.items()}


def same(a: dict[frozenset, float], b: dict[frozenset, float]) -> bool:
    return a.keys() == b.keys() and all(
        (math.isnan(a[k]) and math.isnan(b[k])) or math.isclose(a[k], b[k], rel_tol=1e-9, abs_tol=1e-12)
        for k in a)


def active_alerts(base: str) -> set[tuple]:
    return {(frozenset((k, v) for k, v in a["labels"].items() if k != thanos.RULE_REPLICA_LABEL), a["state"])
            for a in api(base, "/api/v1/alerts")["alerts"]}


def test_every_rule_gives_the_same_result_on_both_engines(tier: Tier):
    prometheus = tier.cluster.group("reference")[0]
    prom_url = f"http://{prometheus.address}:9090"
    query_url = tier.url("q1")
    writers = [Writer(f"{prom_url}/api/v1/write"), Writer(remote_write_url(tier.cfg, tier.cluster.host("r1")))]
    for step in range(GROWTH_STEPS + 1):
        write_both(writers, ledger_workload(step, int(time.time() * 1000)))
        time.sleep(STEP_S)
    held_until = time.monotonic() + HOLD_S
    while time.monotonic() < held_until:  # flat counters stay fresh (no staleness) on both
        write_both(writers, ledger_workload(GROWTH_STEPS, int(time.time() * 1000)))
        time.sleep(STEP_S)
    at = time.time()

    rules = rule_entries(rule_files(tier.processes))
    differing, compared = [], 0
    for rule in rules:
        name = rule.get("record") or rule["alert"]
        ours, reference = (normalised(instant(u, rule["expr"], at)) for u in (query_url, prom_url))
        compared += 1
        if not same(ours, reference):
            differing.append(f"{name}: thanos {ours} != prometheus {reference}")
    FIGURES["rules compared at one timestamp"] = f"{compared} ({len(differing)} differ)"
    ledger = f"sum by ({thanos.RULE_REPLICA_LABEL}) (sum_over_time({d.LEDGER_COST}[1h]))"
    per_replica = instant(query_url, ledger, at, dedup="false")
    merged = instant(query_url, f"sum(sum_over_time({d.LEDGER_COST}[1h]))", at)
    samples = instant(query_url, f"count_over_time({d.LEDGER_COST}[1h])", at, dedup="false")
    assert not differing, "\n".join(differing + [f"ledger per replica {per_replica}, merged {merged}",
                                                  f"ledger samples {samples}"])

    # the exact ledger totals the workload sent, on both: cost and failed calls
    sent_cost = sum(GROWTH_STEPS * 0.004 * (i + 1) for i in range(len(MODELS)))
    for base in (query_url, prom_url):
        day = instant(base, f"sum({d.COST_PERIOD.format(period='day')})", at)
        assert math.isclose(next(iter(day.values())), sent_cost, rel_tol=1e-9), (base, day, sent_cost)

    # alerting rules: the same alerts in the same state, Prometheus vs both thanos rule replicas
    # through query's Prometheus-compatible alerts API (which deduplicates the replicas)
    for attempt in range(3):  # a `for:` boundary may fall between the two engines' evaluations
        ours, reference = active_alerts(query_url), active_alerts(prom_url)
        if ours == reference:
            break
        time.sleep(5)
    assert ours == reference, f"thanos only: {ours - reference}; prometheus only: {reference - ours}"
    names = sorted({dict(labels)["alertname"] + f" ({state})" for labels, state in reference})
    FIGURES["alerts active on both"] = ", ".join(names)
    assert any(dict(labels)["alertname"] == "CostBudgetExceeded" for labels, _ in reference)


def test_budget_alert_notifies_once_through_the_gossip_pair(tier: Tier):
    receiver = tier.cluster.group("receivers")[0]
    alerts_file = receiver.state_dir / "alerts.jsonl"
    # both rule replicas send CostBudgetExceeded to both Alertmanagers (the previous test's spend)
    for ruler in tier.cluster.group("rulers"):
        # a ruler's own alerts API answers {"Alerts": [...]} (Thanos' shape; query's is Prometheus')
        firing = [a for a in api(tier.url(ruler.name), "/api/v1/alerts")["Alerts"]
                  if a["labels"]["alertname"] == "CostBudgetExceeded" and a["state"] == "firing"]
        assert firing, f"{ruler.name}: CostBudgetExceeded is not firing"
    am_urls = [thanos.alertmanager_url(tier.cfg, h.address) for h in tier.cluster.group("alertmanagers")]
    for url in am_urls:  # the pair formed one gossip cluster
        cluster_status = json.loads(http_get(f"{url}/api/v2/status")[1])["cluster"]
        assert cluster_status["status"] == "ready" and len(cluster_status["peers"]) == 2, cluster_status
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (alerts_file.exists() and alerts_file.read_text().strip()):
        time.sleep(1)
    # longer than Alertmanager's peer timeout (15 s per position) so a duplicate would have arrived
    time.sleep(40)
    lines = [json.loads(line) for line in alerts_file.read_text().splitlines() if line.strip()]
    budget = [line for line in lines if line["alertname"] == "CostBudgetExceeded" and line["status"] == "firing"]
    per_group: dict[str, int] = {}
    for line in lines:
        per_group[line["alertname"]] = per_group.get(line["alertname"], 0) + 1
    FIGURES["notifications per alert (2 rule x 2 AM)"] = json.dumps(per_group, sort_keys=True)
    assert len(budget) == 1, budget
    assert budget[0]["labels"].get("budget") == BUDGET["name"]
    assert thanos.RULE_REPLICA_LABEL not in budget[0]["labels"]


def test_listeners_bind_only_their_hosts_address(tier: Tier):
    for name, started in tier.running.items():
        addresses = listening_addresses(started.popen.pid)
        assert addresses == {started.host.address}, (name, started.process.role, addresses)


# --- steady load and faults
def stored(tier: Tier, tag: str, since_s: float, at: float, **params) -> tuple[float, float]:
    """(sum of the newest values, number of stored samples) of one load's series, as the query tier sees them."""
    selector = f'{LOAD_METRIC}{{load="{tag}"}}'
    total = instant(tier.url("q1"), f"sum(last_over_time({selector}[{int(since_s) + 60}s]))", at, **params)
    count = instant(tier.url("q1"), f"sum(count_over_time({selector}[{int(since_s) + 60}s]))", at, **params)
    return next(iter(total.values()), 0.0), next(iter(count.values()), 0.0)


def router_urls(tier: Tier) -> list[str]:
    return [remote_write_url(tier.cfg, h) for h in tier.cluster.group("routers")]


def test_ingest_rate_sustained_with_zero_loss(tier: Tier):
    series, seconds = 500, 20
    began = time.time()
    loads = [SteadyLoad([url], series, 0.0, f"rate-{i}") for i, url in enumerate(router_urls(tier))]
    for load in loads:
        load.__enter__()
    time.sleep(seconds)
    for load in loads:
        load.__exit__()
    elapsed = time.time() - began
    time.sleep(2)
    at = time.time()
    sent = sum(load.samples for load in loads)
    kept = 0.0
    for load in loads:
        assert not load.failures, load.failures[:3]
        total, count = stored(tier, load.tag, elapsed, at)
        assert (total, count) == (load.batches * series, load.samples), (load.tag, total, count, load.samples)
        kept += count
    FIGURES["ingest, zero loss (2 routers, RF 2)"] = (f"{sent / elapsed:,.0f} samples/s for {elapsed:.0f}s "
                                                     f"({sent} sent, {kept:.0f} stored)")


def test_killed_ingestor_loses_nothing_and_rejoins(tier: Tier):
    victim = tier.cluster.host("i1")
    process = tier.running["i1"].process
    series, tag = 50, "kill-i1"
    began = time.time()
    with SteadyLoad(router_urls(tier), series, 0.2, tag) as load:
        time.sleep(10)
        faults.kill(victim, pattern=r"thanos receive")
        killed_at = time.time()
        time.sleep(20)
        assert not load.failures, f"writes failed with one ingestor down: {load.failures[:3]}"
        down_total, down_count = stored(tier, tag, time.time() - began, time.time())
        restarted = tier.start(process)
        rejoined_at = time.time()
        time.sleep(15)
    time.sleep(2)
    at = time.time()
    window = at - began
    total, count = stored(tier, tag, window, at)
    FIGURES["ingestor i1 killed (SIGKILL) under load"] = (
        f"{load.samples} samples sent in {load.batches} writes, {len(load.failures)} failed; "
        f"stored {count:.0f}, newest-value sum {total:.0f} (expected {load.batches * series})")
    assert not load.failures, load.failures[:3]
    per_replica = instant(tier.url("q1"), f'sum by ({thanos.RECEIVE_REPLICA_LABEL}) (count_over_time('
                                          f'{LOAD_METRIC}{{load="{tag}"}}[{int(window) + 60}s]))', at, dedup="false")
    assert (total, count) == (load.batches * series, load.samples), f"samples per replica: {per_replica}"
    assert down_count > 0 and down_total > 0  # the survivor answered while i1 was down

    # i1 is back and receiving: its own (undeduplicated) series have samples written after the restart
    newest = instant(tier.url("q1"), f'max(timestamp({LOAD_METRIC}{{load="{tag}", '
                                     f'{thanos.RECEIVE_REPLICA_LABEL}="{victim.address}"}}))', load.last_ms / 1000, dedup="false")
    assert newest and next(iter(newest.values())) >= rejoined_at - 1, newest
    _, i1_count = stored(tier, tag, window, at, dedup="false")
    FIGURES["ingestor i1 rejoin"] = (f"ready {restarted.seconds_to_ready:.1f}s after restart "
                                     f"(down {rejoined_at - killed_at:.0f}s); samples on both replicas "
                                     f"{i1_count:.0f} (i1 missed its outage, i2 holds all)")

"""The collector tiers under faults (issue 11), deployed by the real pyinfra from the example's group data.

Steady load from two agent hosts (tier_load.py: priced chat spans, log records, metric points,
every one identifiable), then: a gateway SIGKILLed and restarted, an agent host partitioned from
the gateways for a minute, an error trace spread over two agent hosts, and the rate the tiers
carry with nothing lost. Spans and log records are delivered at least once: a duplicate after a
failover is not a loss. Every test asserts zero loss (each sent span ID, log sequence number and
metric point is stored) and an exact ledger (tokens counted once per span), and prints sent /
stored / lost / duplicate counts (also in the terminal summary).
"""
from __future__ import annotations

import secrets
import time
from typing import Iterator

import pytest

from vibes_stack import fleet, pyinfra_run

from . import faults, tier_load
from .hosts import Cluster
from .inventory import write_inventory
from .system import wait_for
from .tiers import GROUPS, Tiers, bring_up, loads, report, send_span, spans_of, steady, wait_stored


@pytest.fixture(scope="module")
def tiers(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tiers]:
    inventory = write_inventory(cluster, tmp_path_factory.mktemp("tiers") / "tiers_inventory.py", GROUPS)
    up = bring_up(cluster, inventory)
    try:
        yield up
    finally:
        fleet.apply(up.fleet, "down", targets=pyinfra_run.Targets(inventory=inventory, group_data_dir=up.group_data))


def _exact_ledger_and_no_loss(outcomes, *, spans: bool = True) -> None:
    for outcome in outcomes:
        name = outcome.load.service
        assert outcome.got["ledger_spans"] == outcome.load.spans, name   # every priced span counted once
        assert not outcome.missing_logs, (name, sorted(outcome.missing_logs)[:20])
        assert not outcome.missing_points, (name, sorted(outcome.missing_points)[:20])
        if spans:
            assert not outcome.missing_spans, (name, outcome.missing_spans)


#: g2 runs throughout, so its counter's highest value in a short window is its latest (robust to one
#: missed scrape); g1's restarted process is read as last scraped (its old series held higher values)
SURVIVOR_WINDOW = "30s"


def test_gateway_killed_and_back_loses_nothing_and_the_ledger_is_exact(tiers: Tiers):
    rate, traces = 50.0, 4500  # per agent: 90 s of load, 100 spans/s + 50 logs/s + 50 points/s each
    sending = loads(tiers, "kill", traces, rate, errors=True)  # errors: tail sampling keeps every trace
    g1, g2 = tiers.gateways
    with steady(tiers, sending):
        time.sleep(10)
        g2_before = tiers.accepted_spans(g2, window=SURVIVOR_WINDOW)
        tiers.kill_gateway(g1)
        killed_at = time.monotonic()
        time.sleep(20)
        g2_during = tiers.accepted_spans(g2, window=SURVIVOR_WINDOW)
        tiers.deploy(limit=(g1.name,))  # the deploy restarts it and waits until it is healthy
        back_after = time.monotonic() - killed_at
        time.sleep(15)
        g1_after = tiers.accepted_spans(g1)  # the new process' counter (the old series went stale)
    outcomes = wait_stored(tiers, sending, spans_expected=False)
    lost_traces = sum(o.traces_lost_whole for o in outcomes)
    decision_wait = tiers.cfg.sampling.decision_wait.seconds
    report("kill gateway g1 (SIGKILL), redeployed", outcomes,
           g1_down_s=round(back_after, 1), g2_spans_accepted_while_g1_down=g2_during - g2_before,
           g1_spans_accepted_15s_after_restart=g1_after,
           traces_lost_undecided_in_g1=lost_traces,
           traces_offered_per_s_into_g1_window=f"{len(sending) * rate / 2:.0f}/s x {decision_wait:.0f}s decision_wait")
    assert g2_during - g2_before > 0 and g1_after > 0, "the load did not move to g2 and back"
    _exact_ledger_and_no_loss(outcomes, spans=False)
    # the one known span loss: whole traces g1 held undecided when it died, bounded by its share
    # of the traces of the last decision_wait (+1 s in flight)
    assert not any(o.traces_stored_in_part for o in outcomes), "a kept trace was stored in part"
    assert lost_traces <= len(sending) * rate / 2 * (decision_wait + 1) * 1.5, lost_traces


def test_partitioned_agent_queues_then_drains_with_nothing_lost(tiers: Tiers):
    rate, traces = 20.0, 1800  # per agent: 90 s of load, 60 s of it partitioned
    a1 = tiers.agents[0]
    sending = loads(tiers, "part", traces, rate, errors=True)
    with steady(tiers, sending):
        time.sleep(5)
        before = tiers.agent_queue(a1)
        with faults.partitioned(tiers.cluster, a1, tiers.gateways):
            time.sleep(60)
            queued = tiers.agent_queue(a1)
        healed = time.monotonic()
    wait_for(lambda: tiers.agent_queue(a1) == 0, timeout=300, interval=2, what="a1's queue to drain")
    drained_s = time.monotonic() - healed
    outcomes = wait_stored(tiers, sending)
    report("partition a1 from both gateways for 60 s", outcomes, a1_queue_before=before,
           a1_queue_at_heal=queued, a1_queue_empty_after_heal_s=round(drained_s, 1))
    assert queued > before, "a1's queue did not hold the data while partitioned"
    _exact_ledger_and_no_loss(outcomes)


def test_an_error_trace_over_two_hosts_is_kept_whole_and_the_rest_sampled(tiers: Tiers):
    rate, traces = 50.0, 1000
    a1, a2 = tiers.agents[:2]
    sending = loads(tiers, "share", traces, rate, errors=False)
    stamp = time.strftime("%H%M%S")
    trace, root, child = secrets.token_hex(16), secrets.token_hex(8), secrets.token_hex(8)
    with steady(tiers, sending):
        send_span(tiers, a1, f"orders-front-{stamp}", trace, root, None, error=True)
        send_span(tiers, a2, f"orders-back-{stamp}", trace, child, root, error=False)
    outcomes = wait_stored(tiers, sending, spans_expected=False)
    wait_for(lambda: len(spans_of(tiers, trace)) >= 2, timeout=60, interval=2, what="the cross-host trace")
    spans = spans_of(tiers, trace)
    share = tiers.cfg.sampling.traces_percent / 100
    report("error trace over a1+a2; the rest sampled", outcomes, cross_host_trace=trace,
           cross_host_spans={s.service: s.span_id for s in spans}, configured_share=share,
           traces_kept={o.load.host.name: len(o.got["traces"]) for o in outcomes})
    assert sorted(s.span_id for s in spans) == sorted([root, child])
    assert {s.service for s in spans} == {f"orders-front-{stamp}", f"orders-back-{stamp}"}
    _exact_ledger_and_no_loss(outcomes, spans=False)  # the ledger counts 100 % of the spans, sampled or not
    for outcome in outcomes:
        kept = len(outcome.got["traces"])
        assert len(outcome.got["spans"]) == kept * tier_load.SPANS_PER_TRACE  # kept traces are whole
        spread = 5 * (outcome.load.traces * share * (1 - share)) ** 0.5  # binomial, 5 standard deviations
        assert abs(kept - outcome.load.traces * share) <= spread, (outcome.load.service, kept)


def test_throughput_the_tiers_carry_with_nothing_lost(tiers: Tiers):
    rate, seconds = 200.0, 30  # per agent: 400 spans/s + 200 logs/s + 200 points/s each
    sending = loads(tiers, "rate", int(rate * seconds), rate, errors=True)
    started = time.monotonic()
    with steady(tiers, sending):
        pass
    outcomes = wait_stored(tiers, sending)
    until_stored = time.monotonic() - started
    spans = sum(o.load.spans for o in outcomes)
    achieved = sum(o.load.summary.get("traces_per_s", 0) for o in outcomes) * tier_load.SPANS_PER_TRACE
    report("throughput, no fault", outcomes, spans_per_s_offered=round(achieved),
           spans_per_s_sent_to_all_stored=round(spans / until_stored), seconds_until_all_stored=round(until_stored))
    _exact_ledger_and_no_loss(outcomes)

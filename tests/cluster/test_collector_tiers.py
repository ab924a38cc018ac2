"""The collector tiers under faults (issue 11): agents on app hosts → gateways → storage, on namespace hosts.

Steady load from two agent hosts (telemetrygen: priced LLM spans, log records, metric points), then:
a gateway SIGKILLed and restarted, an agent host partitioned from the gateways, and an error trace
spread over two agent hosts. Sent counts are what the load generators were told to send; stored
counts come from the backends' query APIs (Prometheus, Jaeger, VictoriaLogs). Each test prints them.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterator

import pytest

from vibes_observe.alerting.defaults import COLLECTOR_ACCEPTED, COLLECTOR_QUEUE_SIZE, COLLECTOR_REFUSED
from vibes_observe.clients.errors import BackendError
from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.victorialogs import VictoriaLogsClient
from vibes_sdk import names
from vibes_stack import binaries

from . import faults
from .hosts import Cluster, Host
from .system import ClusterError, wait_for
from .tiers import Tier, bring_up

MODEL = "gpt-4o"                 # in the price table: the gateways price these spans and count them
INPUT_TOKENS, OUTPUT_TOKENS = 100, 40
SPANS_PER_TRACE = 2              # telemetrygen: a parent and one child
DRAIN_TIMEOUT = 240.0
TOKENS_INPUT = f'{names.TOKENS.prom}{{{names.prom_label(names.GEN_AI_TOKEN_TYPE)}="{names.TOKEN_INPUT}"'
PROBE_METRIC = "vibes_tier_probe"


@pytest.fixture(scope="module")
def tier(cluster: Cluster) -> Tier:
    return bring_up(cluster)


@dataclass
class Load:
    """What one agent host was told to send, per signal, under one service name."""
    service: str
    traces: int
    logs: int
    points: int

    @property
    def spans(self) -> int:
        return self.traces * SPANS_PER_TRACE


def telemetrygen(tier: Tier, host: Host, signal: str, load: Load, rate: float, *extra: str) -> list[str]:
    binary = binaries.find("telemetrygen")[0]
    if not binary:
        raise ClusterError("telemetrygen missing: `python -m vibes_stack binaries` builds it")
    count = {"traces": ("--traces", load.traces), "logs": ("--logs", load.logs),
             "metrics": ("--metrics", load.points)}[signal]
    return [binary, signal, "--otlp-endpoint", f"127.0.0.1:{tier.cfg.ports.collector_otlp_grpc}",
            "--otlp-insecure", "--service", load.service, count[0], str(count[1]), "--rate", str(rate), *extra]


PRICED = ["--telemetry-attributes", f'{names.GEN_AI_OPERATION_NAME}="{names.OP_CHAT}"',
          "--telemetry-attributes", f'{names.GEN_AI_REQUEST_MODEL}="{MODEL}"',
          "--telemetry-attributes", f"{names.GEN_AI_USAGE_INPUT_TOKENS}={INPUT_TOKENS}",
          "--telemetry-attributes", f"{names.GEN_AI_USAGE_OUTPUT_TOKENS}={OUTPUT_TOKENS}"]


@contextmanager
def steady_load(tier: Tier, loads: dict[str, Load], *, rate: float, errors: bool) -> Iterator[None]:
    """Every agent host sends its Load at ``rate`` items/s per signal in the background; the
    block's end waits for the generators to finish (each one stops by itself after its count)."""
    failures: list[str] = []

    def run(host: Host, argv: list[str]) -> None:
        try:
            tier.cluster.run(host, argv, timeout=600)
        except ClusterError as exc:
            failures.append(str(exc))

    threads = []
    for name, load in loads.items():
        host = tier.cluster.host(name)
        status = ["--status-code", "Error"] if errors else []
        for signal, extra in (("traces", [*PRICED, *status]),
                              ("logs", []), ("metrics", ["--otlp-metric-name", PROBE_METRIC])):
            thread = threading.Thread(target=run, args=(host, telemetrygen(tier, host, signal, load, rate, *extra)))
            thread.start()
            threads.append(thread)
    try:
        yield
    finally:
        for thread in threads:
            thread.join(timeout=900)
    assert not failures, "load generators failed:\n" + "\n".join(failures)


# --- stored counts, from the backends' query APIs
def _matrix(tier: Tier, expr: str) -> list[list[float]]:
    result = tier.prometheus(expr)["data"]["result"]
    return [[float(value) for _, value in series["values"]] for series in result]


def ledger_total(tier: Tier, selector: str) -> float:
    """Exact increase of a ledger counter over every gateway's series, from the raw samples:
    a restarted gateway starts its cumulative series from 0 again (counter reset)."""
    total = 0.0
    for values in _matrix(tier, f"{selector}}}[3h]"):
        previous = 0.0
        for value in values:
            total += value - previous if value >= previous else value
            previous = value
    return total


def stored(tier: Tier, load: Load) -> dict[str, int]:
    spans_counted = ledger_total(tier, f'{TOKENS_INPUT},job="{load.service}"') / INPUT_TOKENS
    traces = JaegerClient(tier.jaeger_url, timeout=120).find_traces(service=load.service, limit=1_000_000,
                                                                   lookback="3h")
    rows = list(VictoriaLogsClient(tier.victorialogs_url).rows(
        f'_stream:{{service.name="{load.service}"}} | stats count() n', start_ns=0, end_ns=time.time_ns()))
    points = sum(len(v) for v in _matrix(tier, f'{PROBE_METRIC}{{job="{load.service}"}}[3h]'))
    return {"spans_counted": round(spans_counted), "spans_stored": sum(len(t.spans) for t in traces),
            "traces_stored": len(traces), "logs": int(rows[0]["n"]) if rows else 0, "points": points}


def sent(load: Load) -> dict[str, int]:
    return {"spans_counted": load.spans, "traces": load.traces, "logs": load.logs, "points": load.points}


def wait_stored(tier: Tier, loads: dict[str, Load], done: Callable[[Load, dict[str, int]], bool]) -> dict:
    """Stored counts per load once ``done`` holds for every one of them (or the drain timeout)."""
    counts: dict[str, dict[str, int]] = {}

    def complete() -> bool:
        counts.update({name: stored(tier, load) for name, load in loads.items()})
        return all(done(load, counts[name]) for name, load in loads.items())

    try:
        wait_for(complete, timeout=DRAIN_TIMEOUT, interval=5, what="the tiers to drain")
    except ClusterError:
        pass  # the assertions below name what is missing
    return counts


def report(title: str, loads: dict[str, Load], counts: dict[str, dict[str, int]], **figures) -> None:
    print(f"\n[{title}]")
    for name, load in loads.items():
        print(f"  {name} ({load.service}): sent {json.dumps(sent(load))}  stored {json.dumps(counts[name])}")
    for key, value in figures.items():
        print(f"  {key}: {value}")


def gateway_counter(tier: Tier, gateway: Host, metric: str = COLLECTOR_ACCEPTED.format(signal="spans")) -> float:
    port = tier.cfg.ports.collector_metrics
    result = tier.prometheus(f'sum({metric}{{job="vibes-gateways",instance="{gateway.address}:{port}"}})')
    values = result["data"]["result"]
    return float(values[0]["value"][1]) if values else 0.0


def agent_queue(tier: Tier, agent: Host) -> float:
    port = tier.cfg.ports.collector_metrics
    values = tier.prometheus(f'sum({COLLECTOR_QUEUE_SIZE}{{job="vibes-agents",'
                             f'instance="{agent.address}:{port}"}})')["data"]["result"]
    return float(values[0]["value"][1]) if values else 0.0


def evidence(tier: Tier) -> dict[str, float]:
    """The collectors' own counters behind a count that differs from what was sent: what both
    gateways accepted and refused, and how many of the agents' fan-outs to the gateways failed
    (the load_balancing exporter retries such a batch whole, parts a gateway took included)."""
    def total(expr: str) -> float:
        values = tier.prometheus(expr)["data"]["result"]
        return sum(float(v["value"][1]) for v in values)
    return {"gateways_accepted_spans": total(f'sum({COLLECTOR_ACCEPTED.format(signal="spans")}{{job="vibes-gateways"}})'),
            "gateways_refused_spans": total(f'sum({COLLECTOR_REFUSED.format(signal="spans")}{{job="vibes-gateways"}})'),
            "gateways_accepted_logs": total(f'sum({COLLECTOR_ACCEPTED.format(signal="log_records")}{{job="vibes-gateways"}})'),
            "agents_accepted_spans": total(f'sum({COLLECTOR_ACCEPTED.format(signal="spans")}{{job="vibes-agents"}})'),
            "agents_backend_failures": total('sum(otelcol_loadbalancer_backend_outcome'
                                             '{job="vibes-agents",success="false"})'),
            "agents_backend_successes": total('sum(otelcol_loadbalancer_backend_outcome'
                                              '{job="vibes-agents",success="true"})')}


def unique(prefix: str) -> str:
    return f"{prefix}-{time.strftime('%H%M%S')}"


def test_gateway_killed_and_back_loses_nothing_of_the_ledger(tier: Tier):
    rate, items = 50.0, 2500  # per agent and signal: ~50 s of load
    loads = {a.name: Load(unique(f"kill-{a.name}"), items, items, items) for a in tier.agents}
    g1, g2 = tier.gateways
    started = time.monotonic()
    with steady_load(tier, loads, rate=rate, errors=True):  # errors: every trace is kept whole
        time.sleep(10)
        g2_before = gateway_counter(tier, g2)
        tier.kill(g1, "collector")
        time.sleep(20)
        g2_during = gateway_counter(tier, g2)
        tier.start(g1, "collector")
        tier.wait_ready(g1, "collector")
        restarted = gateway_counter(tier, g1)
        time.sleep(10)
        g1_after = gateway_counter(tier, g1)
    load_seconds = time.monotonic() - started
    counts = wait_stored(tier, loads, lambda load, got: (
        got["spans_counted"] >= load.spans and got["logs"] >= load.logs and got["points"] >= load.points))
    report("kill gateway g1 (SIGKILL) for 20 s, then restart", loads, counts,
           g2_spans_accepted_while_g1_dead=g2_during - g2_before,
           g1_spans_accepted_after_restart=g1_after - restarted,
           **evidence(tier),
           offered_items_per_s=round(3 * sum(l.traces * 2 + l.logs + l.points for l in loads.values())
                                     / 3 / load_seconds))
    assert g2_during - g2_before > 0 and g1_after - restarted > 0, "the load did not move to g2 and back"
    for name, load in loads.items():
        got = counts[name]
        # the ledger: every priced span counted once, every log record and metric point stored once
        assert (got["spans_counted"], got["logs"], got["points"]) == (load.spans, load.logs, load.points), name
        # kept traces land whole; the ones g1 was still deciding on when it died are the known loss
        assert got["spans_stored"] == got["traces_stored"] * SPANS_PER_TRACE <= load.spans, name


def test_partitioned_agent_queues_then_drains(tier: Tier):
    rate, items = 20.0, 1800  # per agent and signal: 90 s of load, 60 s of it partitioned
    a1 = tier.agents[0]
    loads = {a.name: Load(unique(f"part-{a.name}"), items, items, items) for a in tier.agents}
    with steady_load(tier, loads, rate=rate, errors=True):
        time.sleep(5)
        before = agent_queue(tier, a1)
        with faults.partitioned(tier.cluster, a1, tier.gateways):
            time.sleep(60)
            queued = agent_queue(tier, a1)
    wait_for(lambda: agent_queue(tier, a1) == 0, timeout=DRAIN_TIMEOUT, interval=2, what="a1's queue to drain")
    counts = wait_stored(tier, loads, lambda load, got: (
        got["spans_counted"] >= load.spans and got["spans_stored"] >= load.spans
        and got["logs"] >= load.logs and got["points"] >= load.points))
    report("partition a1 from both gateways for 60 s, then heal", loads, counts,
           a1_queue_before=before, a1_queue_at_heal=queued)
    assert queued > before, "a1's queue did not hold the data while partitioned"
    for name, load in loads.items():
        got = counts[name]  # nothing was killed: every kept (error) trace is stored too
        assert (got["spans_counted"], got["spans_stored"], got["logs"], got["points"]) == (
            load.spans, load.spans, load.logs, load.points), name


#: one span of a trace, as an app on one host records it (the OpenTelemetry SDK, OTLP/HTTP to its
#: agent); argv: service, endpoint, parent traceparent or "-" for the root (which fails)
CROSS_HOST_SPAN = """
import sys
from opentelemetry import propagate
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode
service, endpoint, parent = sys.argv[1:4]
provider = TracerProvider(resource=Resource.create({"service.name": service}))
provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
context = propagate.extract({"traceparent": parent}) if parent != "-" else None
with provider.get_tracer("tier-test").start_as_current_span(service, context=context) as span:
    if parent == "-":
        span.set_status(Status(StatusCode.ERROR, "the order failed"))
    carrier = {}
    propagate.inject(carrier)
print(carrier["traceparent"])
provider.shutdown()
"""


def test_error_trace_over_two_hosts_kept_whole_rest_sampled_ledger_exact(tier: Tier):
    rate, items = 50.0, 1000
    a1, a2 = tier.agents[:2]
    loads = {a.name: Load(unique(f"share-{a.name}"), items, items, items) for a in tier.agents}
    endpoint = f"http://127.0.0.1:{tier.cfg.ports.collector_otlp_http}/v1/traces"
    front, back = unique("orders-front"), unique("orders-back")
    with steady_load(tier, loads, rate=rate, errors=False):
        root = tier.cluster.run(a1, [sys.executable, "-c", CROSS_HOST_SPAN, front, endpoint, "-"], timeout=60)
        tier.cluster.run(a2, [sys.executable, "-c", CROSS_HOST_SPAN, back, endpoint, root.strip()], timeout=60)
    trace_id = root.strip().split("-")[1]
    counts = wait_stored(tier, loads, lambda load, got: (
        got["spans_counted"] >= load.spans and got["logs"] >= load.logs and got["points"] >= load.points))
    jaeger = JaegerClient(tier.jaeger_url)
    wait_for(lambda: len(_spans_of(jaeger, trace_id)) >= 2, timeout=60, interval=2, what="the cross-host trace")
    spans = _spans_of(jaeger, trace_id)
    share = tier.cfg.sampling.traces_percent / 100
    report("error trace over a1+a2; the rest sampled", loads, counts, cross_host_trace=trace_id,
           cross_host_services=sorted(s.service for s in spans), configured_share=share)
    assert sorted(s.service for s in spans) == sorted([front, back])
    assert any(s.is_error for s in spans) and len({s.trace_id for s in spans}) == 1
    for name, load in loads.items():
        got = counts[name]
        # the ledger counts 100 % of the spans, sampled or not; logs and metrics are never sampled
        assert (got["spans_counted"], got["logs"], got["points"]) == (load.spans, load.logs, load.points), name
        # kept traces are whole, and their number is the configured share (binomial, 5 standard deviations)
        assert got["spans_stored"] == got["traces_stored"] * SPANS_PER_TRACE, name
        spread = 5 * (load.traces * share * (1 - share)) ** 0.5
        assert abs(got["traces_stored"] - load.traces * share) <= spread, (name, got["traces_stored"])


def _spans_of(jaeger: JaegerClient, trace_id: str) -> list:
    try:
        return jaeger.get_trace(trace_id).spans
    except BackendError:  # not stored (yet): Jaeger answers 404
        return []

"""The collector tiers deployed as the example fleet places them, on namespace hosts, and what the
tier tests read back: agents a1, a2 (collector-agent + gateway-watch) → gateways g1, g2
(collector-gateway) → Prometheus and VictoriaLogs on s1, Jaeger on s2.

The real pyinfra deploys every host over SSH from the group data (stack/group_data/agents.py,
gateways.py, …); a killed gateway comes back by a deploy limited to its host. Sent items are
known by construction (tier_load.py derives every ID from service and sequence number); stored
items come from the backends' query APIs, never from the collectors' logs.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

from vibes_observe.alerting.defaults import COLLECTOR_ACCEPTED, COLLECTOR_QUEUE_SIZE
from vibes_observe.clients._http import get_json
from vibes_observe.clients.errors import BackendError
from vibes_observe.clients.jaeger import JaegerClient
from vibes_observe.clients.victorialogs import VictoriaLogsClient
from vibes_sdk import names
from vibes_stack import binaries, config, deploy, fleet, paths, pyinfra_run, supervisor
from vibes_stack.components import collector_agent, collector_gateway

from . import tier_load
from .hosts import Cluster, Host
from .system import ClusterError, wait_for

#: the example inventory's groups (stack/inventories/cluster_example.py) over the harness' hosts
GROUPS = {"agents": ("a1", "a2"), "gateways": ("g1", "g2"), "metrics": ("s1",), "traces": ("s2",),
          "alerting": ("s1",)}
#: quick scrapes and decisions, a visible sampled share
CONFIG = {"intervals": {"scrape": "2s", "evaluation": "15s"},
          "sampling": {"traces_percent": 20, "decision_wait": "2s"}}
LOAD_SCRIPT = Path(tier_load.__file__)
DRAIN_TIMEOUT = 300.0
FIGURES: dict[str, str] = {}  # measured here, printed in the terminal summary (conftest)
#: the collector tiers under test come from the example's group data; behind them, one host each of
#: the single-host backends (the example's Thanos/Cassandra tiers need two hosts each: test_fleet.py)
TIER_GROUPS = ("all", "agents", "gateways")
BACKENDS = {"metrics": ["prometheus", "victorialogs"], "traces": ["jaeger"],
            "alerting": ["alertmanager", "alert-receiver"]}


def group_data_dir(dest: Path) -> Path:
    """The example's group data for the tiers, single-host backends for the rest."""
    dest.mkdir(parents=True, exist_ok=True)
    for group in TIER_GROUPS:  # linked: all.py finds stack/versions.yaml from its own resolved path
        (dest / f"{group}.py").symlink_to(pyinfra_run.GROUP_DATA_DIR / f"{group}.py")
    for group, placed in BACKENDS.items():
        (dest / f"{group}.py").write_text(f"vibes_components = {placed!r}\n")
    return dest


@dataclass
class Tiers:
    cluster: Cluster
    inventory: Path
    group_data: Path
    fleet: fleet.Fleet
    agents: list[Host] = field(default_factory=list)
    gateways: list[Host] = field(default_factory=list)

    @property
    def cfg(self):
        return self.fleet.cfg

    def url(self, group: str, port: int) -> str:
        return f"http://{self.cluster.host(GROUPS[group][0]).address}:{port}"

    def prometheus(self, expr: str) -> list[dict[str, Any]]:
        return get_json("prometheus", self.url("metrics", self.cfg.ports.prometheus), "/api/v1/query",
                        params={"query": expr}, timeout=60)["data"]["result"]

    def deploy(self, *, limit: tuple[str, ...] = ()) -> None:
        result = fleet.apply(self.fleet, targets=pyinfra_run.Targets(inventory=self.inventory, limit=limit,
                                                                       group_data_dir=self.group_data))
        assert result.run.success, deploy.failure_text(result.run)

    def kill_gateway(self, gateway: Host) -> None:
        """SIGKILL (no clean shutdown) the gateway collector of ``gateway``."""
        run_dir = paths.StateLayout(self.fleet.plans[gateway.name].state_dir).run
        assert supervisor.kill(run_dir, collector_gateway.NAME), f"{gateway.name}: no gateway running"

    def telemetry(self, host: Host, metric: str, window: str | None = None) -> float:
        """One of a collector's own counters, summed, as Prometheus last scraped it from ``host``;
        with ``window``, its highest value in that window (a counter of one process): one scrape that
        failed under load leaves the instant query empty, and the reading would be 0."""
        instance = f"{host.address}:{self.cfg.ports.collector_metrics}"
        selector = f'{metric}{{instance="{instance}"}}'
        query = f"sum(max_over_time({selector}[{window}]))" if window else f"sum({selector})"
        return sum(float(s["value"][1]) for s in self.prometheus(query))

    def accepted_spans(self, host: Host, window: str | None = None) -> float:
        return self.telemetry(host, COLLECTOR_ACCEPTED.format(signal="spans"), window)

    def agent_queue(self, agent: Host) -> float:
        return self.telemetry(agent, COLLECTOR_QUEUE_SIZE)


def bring_up(cluster: Cluster, inventory: Path) -> Tiers:
    cfg = config.build(CONFIG)
    bins = binaries.resolve_all(cfg.binaries.explicit(), install=False, out=lambda _line: None)
    group_data = group_data_dir(inventory.parent / "group_data")
    fl = fleet.prepare(cfg, pyinfra_run.load_inventory(inventory, group_data), bins)
    tiers = Tiers(cluster, inventory, group_data, fl, [cluster.host(n) for n in GROUPS["agents"]],
                  [cluster.host(n) for n in GROUPS["gateways"]])
    for name in GROUPS["agents"]:  # the example's placement, not the test's
        assert list(fl.plans[name].components)[-1] == collector_agent.NAME, fl.plans[name].components
    tiers.deploy()
    return tiers


# --- load
@dataclass
class Load:
    """What one agent host is told to send under one service name."""
    host: Host
    service: str
    traces: int
    rate: float              # traces per second
    errors: bool             # every trace has an error: tail sampling keeps every one
    summary: dict = field(default_factory=dict)

    @property
    def spans(self) -> int:
        return self.traces * tier_load.SPANS_PER_TRACE

    def span_ids(self) -> dict[int, tuple[str, str]]:
        """Trace number → its (parent, child) span IDs."""
        return {i: tier_load.span_ids(self.service, i) for i in range(self.traces)}


def loads(tiers: Tiers, prefix: str, traces: int, rate: float, *, errors: bool) -> list[Load]:
    stamp = time.strftime("%H%M%S")
    return [Load(a, f"{prefix}-{a.name}-{stamp}", traces, rate, errors) for a in tiers.agents]


def _argv(tiers: Tiers, *args: str) -> list[str]:
    return [sys.executable, str(LOAD_SCRIPT), "--endpoint",
            f"http://127.0.0.1:{tiers.cfg.ports.collector_otlp_http}", *args]


@contextmanager
def steady(tiers: Tiers, sending: list[Load]) -> Iterator[None]:
    """Every Load runs in the background inside its host; the block's end waits for them (each
    stops by itself after its count) and keeps their summaries."""
    failures: list[str] = []

    def run(load: Load) -> None:
        argv = _argv(tiers, "--service", load.service, "--traces", str(load.traces), "--rate", str(load.rate),
                     *(["--errors"] if load.errors else []))
        try:
            load.summary = json.loads(tiers.cluster.run(load.host, argv, timeout=1200))
        except ClusterError as exc:
            failures.append(str(exc))

    threads = [threading.Thread(target=run, args=(load,)) for load in sending]
    for thread in threads:
        thread.start()
    try:
        yield
    finally:
        for thread in threads:
            thread.join(timeout=1500)
    assert not failures, "load generators failed:\n" + "\n".join(failures)


def send_span(tiers: Tiers, host: Host, service: str, trace: str, span_id: str, parent: str | None, *,
              error: bool) -> None:
    tiers.cluster.run(host, _argv(tiers, "--service", service, "--span", trace, span_id, parent or "-",
                                  *(["--errors"] if error else [])), timeout=60)


# --- stored, from the backends' query APIs
def _samples(tiers: Tiers, selector: str) -> list[list[float]]:
    """Every raw sample of each series matching ``selector`` (values only, time order)."""
    return [[float(v) for _, v in s["values"]] for s in tiers.prometheus(f"{selector}[3h]")]


def ledger_spans(tiers: Tiers, load: Load) -> float:
    """Spans the ledger counted for ``load``: its input-token counter over every series (one per
    agent host), as increases over the raw samples (a restarted agent would start at 0 again)."""
    selector = (f'{names.TOKENS.prom}{{{names.prom_label(names.GEN_AI_TOKEN_TYPE)}="{names.TOKEN_INPUT}",'
                f'job="{load.service}"}}')
    total = 0.0
    for values in _samples(tiers, selector):
        previous = 0.0
        for value in values:
            total += value - previous if value >= previous else value
            previous = value
    return total / tier_load.INPUT_TOKENS


def stored(tiers: Tiers, load: Load) -> dict[str, Any]:
    """What the backends hold of ``load``: span IDs (with how often each was stored), log
    sequence numbers (likewise), probe points, and the ledger's span count."""
    jaeger = JaegerClient(tiers.url("traces", tiers.cfg.ports.jaeger_query), timeout=120)
    traces = jaeger.find_traces(service=load.service, limit=1_000_000, lookback="3h")
    spans: dict[str, int] = {}
    for trace in traces:
        for s in trace.spans:
            spans[s.span_id] = spans.get(s.span_id, 0) + 1
    logs_client = VictoriaLogsClient(tiers.url("metrics", tiers.cfg.ports.victorialogs))
    rows = logs_client.rows(f'_stream:{{service.name="{load.service}"}} | stats by ({tier_load.SEQ}) count() n',
                            start_ns=0, end_ns=time.time_ns())
    logs = {int(r[tier_load.SEQ]): int(r["n"]) for r in rows}
    points = {int(v) for values in _samples(tiers, f'{tier_load.PROBE_METRIC}{{job="{load.service}"}}')
              for v in values}
    return {"spans": spans, "traces": {t.trace_id for t in traces}, "logs": logs, "points": points,
            "ledger_spans": round(ledger_spans(tiers, load), 3)}


@dataclass
class Outcome:
    """Sent against stored, per load: what is missing (loss) and what is there twice (duplicates)."""
    load: Load
    got: dict[str, Any]

    @cached_property
    def spans_stored_per_trace(self) -> dict[int, int]:
        """Trace number → how many of its spans are stored (0, 1 or 2)."""
        stored_ids = self.got["spans"]
        return {i: sum(s in stored_ids for s in pair) for i, pair in self.load.span_ids().items()}

    @property
    def missing_spans(self) -> int:
        return sum(tier_load.SPANS_PER_TRACE - n for n in self.spans_stored_per_trace.values())

    @property
    def traces_lost_whole(self) -> int:
        return sum(n == 0 for n in self.spans_stored_per_trace.values())

    @property
    def lost_trace_numbers(self) -> str:
        """Where the whole-trace losses sit in the load (trace i was sent at i / rate seconds)."""
        lost = [i for i, n in self.spans_stored_per_trace.items() if n == 0]
        return f"{lost[0]}..{lost[-1]} (sent at {lost[0] / self.load.rate:.0f}-{lost[-1] / self.load.rate:.0f}s)" \
            if lost else "none"

    @property
    def traces_stored_in_part(self) -> int:
        return sum(0 < n < tier_load.SPANS_PER_TRACE for n in self.spans_stored_per_trace.values())

    @cached_property
    def missing_logs(self) -> set[int]:
        return set(range(self.load.traces)) - set(self.got["logs"])

    @cached_property
    def missing_points(self) -> set[int]:
        return set(range(self.load.traces)) - self.got["points"]

    def row(self) -> dict[str, Any]:
        got = self.got
        return {"sent": {"spans": self.load.spans, "logs": self.load.traces, "points": self.load.traces},
                "stored": {"spans": len(got["spans"]), "logs": len(got["logs"]), "points": len(got["points"]),
                           "ledger_spans": got["ledger_spans"]},
                "lost": {"spans": self.missing_spans, "logs": len(self.missing_logs),
                         "points": len(self.missing_points)},
                "lost_traces_sent_at": self.lost_trace_numbers,
                "duplicates": {"spans": sum(n - 1 for n in got["spans"].values()),
                               "logs": sum(n - 1 for n in got["logs"].values())},
                "generator": self.load.summary}


STABLE_POLLS = 4  # spans not all expected: stored once their count held still this many polls


def wait_stored(tiers: Tiers, sending: list[Load], *, spans_expected: bool = True) -> list[Outcome]:
    """Outcomes once every load is complete in every backend (or at the drain timeout: the
    assertions then name what is missing)."""
    outcomes: list[Outcome] = []
    span_counts: list[int] = []

    def complete() -> bool:
        outcomes[:] = [Outcome(load, stored(tiers, load)) for load in sending]
        span_counts.append(sum(len(o.got["spans"]) for o in outcomes))
        spans_done = (not any(o.missing_spans for o in outcomes) if spans_expected
                      else len(span_counts) >= STABLE_POLLS and len(set(span_counts[-STABLE_POLLS:])) == 1)
        return spans_done and all(o.got["ledger_spans"] >= o.load.spans and not o.missing_logs
                                  and not o.missing_points for o in outcomes)

    try:
        wait_for(complete, timeout=DRAIN_TIMEOUT, interval=5, what="the tiers to drain")
    except ClusterError:
        pass
    return outcomes


def report(title: str, outcomes: list[Outcome], **figures: Any) -> None:
    """Printed with the test (-s) and kept for the terminal summary."""
    print(f"\n[{title}]")
    for outcome in outcomes:
        row = outcome.row()
        print(f"  {outcome.load.host.name} ({outcome.load.service}): {json.dumps(row)}")
        FIGURES[f"{title}: {outcome.load.host.name}"] = (
            "sent/stored/lost/dup spans {s}/{ss}/{ls}/{ds}, logs {l}/{sl}/{ll}/{dl}, points {p}/{sp}/{lp}, "
            "ledger {led}".format(s=row["sent"]["spans"], ss=row["stored"]["spans"], ls=row["lost"]["spans"],
                                  ds=row["duplicates"]["spans"], l=row["sent"]["logs"], sl=row["stored"]["logs"],
                                  ll=row["lost"]["logs"], dl=row["duplicates"]["logs"], p=row["sent"]["points"],
                                  sp=row["stored"]["points"], lp=row["lost"]["points"],
                                  led=row["stored"]["ledger_spans"]))
    for key, value in figures.items():
        print(f"  {key}: {value}")
        FIGURES[f"{title}: {key}"] = str(value)


def spans_of(tiers: Tiers, trace: str) -> list:
    try:
        return JaegerClient(tiers.url("traces", tiers.cfg.ports.jaeger_query)).get_trace(trace).spans
    except BackendError:  # not stored (yet): Jaeger answers 404
        return []

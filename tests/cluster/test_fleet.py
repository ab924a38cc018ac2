"""`make up INVENTORY=…` for a fleet: the real pyinfra deploys the example topology's groups over SSH to
namespace hosts (stack/group_data/<group>.py places the components: collectors on agents and gateways,
the Thanos metrics tier, Cassandra + Jaeger, the Alertmanager pair), then re-runs, plans, limits and
rolls a restart. Through the whole topology: a span sent at an agent comes back from Jaeger on Cassandra,
a metric from thanos query, the CLI answers against the cluster's endpoints, an ingestor killed under load
loses nothing and rejoins, a budget alert notifies once. Everything is read back as data: per-host,
per-operation results and the components' own APIs at their hosts' addresses."""
from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from vibes_stack import binaries, config, deploy, fleet, paths, pyinfra_run, supervisor
from vibes_observe.dashboards import DASHBOARDS, prometheus_targets, substitute
from vibes_stack.components import thanos

from . import tier_load
from .hosts import Cluster
from .inventory import write_inventory
from .metrics_tier import FIGURES, instant
from .remote_write import LOAD_METRIC, SteadyLoad
from .system import ClusterError, pids_in_netns, wait_for

# the example inventory's groups (stack/inventories/cluster_example.py) over the harness' hosts; s1 and
# s2 are the metrics, traces and alerting hosts at once (a host in several groups runs the union)
FLEET_GROUPS = {"agents": ("a1", "a2"), "gateways": ("g1", "g2"), "metrics": ("s1", "s2"), "traces": ("s1", "s2"),
                "alerting": ("s1", "s2")}
BUDGET = {"name": "tiny", "amount": 0.01, "period": "day"}
# fast scrapes, evaluations and ledger steps so metrics and the budget alert arrive within a minute or
# two; Cassandra without the 30 s ring delay (one machine); every trace kept, so what the demo and the
# probes send is all there to read back (tail sampling's choices are test_collector_tiers')
FLEET_CONFIG = {"intervals": {"scrape": "5s", "evaluation": "5s"}, "trace_storage": {"quick_start": True},
                "sampling": {"traces_percent": 100},
                "alerting": {"ledger_interval": "15s", "budgets": [BUDGET], "routing": {"group_wait": "1s"}}}
SPAN_TIMEOUT = 60
METRIC_TIMEOUT = 120
ALERT_TIMEOUT = 240


def _prepare(inventory: Path, user: dict[str, Any] | None = None) -> fleet.Fleet:
    cfg = config.build(config.deep_merge(FLEET_CONFIG, user or {}))
    hosts = fleet.fleet_hosts(pyinfra_run.load_inventory(inventory))
    bins = binaries.resolve_all(cfg.binaries.explicit(), install=False, fleet=fleet.placed(hosts),
                                out=lambda _line: None)
    return fleet.render_fleet(cfg, hosts, bins)


def _apply(fl: fleet.Fleet, inventory: Path, *, dry: bool = False, limit: tuple[str, ...] = (),
           serial: bool = False) -> fleet.FleetResult:
    result = fleet.apply(fl, targets=pyinfra_run.Targets(inventory=inventory, limit=limit, serial=serial), dry=dry)
    assert result.run.success, deploy.failure_text(result.run)
    return result


@pytest.fixture(scope="module")
def inventory(cluster: Cluster, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_inventory(cluster, tmp_path_factory.mktemp("fleet") / "fleet_inventory.py", FLEET_GROUPS)


@pytest.fixture(scope="module")
def deployed(inventory: Path) -> Iterator[fleet.Fleet]:
    fl = _prepare(inventory)
    began = time.monotonic()
    first = _apply(fl, inventory)
    FIGURES["fleet: first deploy over SSH (7 hosts)"] = (
        f"{time.monotonic() - began:.0f}s, {sum(len(p.components) for p in fl.plans.values())} components")
    assert {h.name for h in first.run.hosts} == {n for names in FLEET_GROUPS.values() for n in names}
    try:
        yield fl
    finally:
        fleet.apply(fl, "down", targets=pyinfra_run.Targets(inventory=inventory))


def test_every_component_on_every_host_is_healthy_at_its_address(cluster: Cluster, inventory: Path,
                                                                  deployed: fleet.Fleet):
    group_data = pyinfra_run.load_inventory(inventory).get_group_data
    placed = {name: set(plan.components) for name, plan in deployed.plans.items()}
    for name, plan in deployed.plans.items():
        host = cluster.host(name)
        wanted = set().union(*(group_data(g)[fleet.COMPONENTS_KEY] for g, members in FLEET_GROUPS.items()
                               if name in members))
        assert placed[name] == wanted
        for spec in plan.ordered():
            assert spec.health_url.split("://")[1].startswith(f"{host.address}:"), spec.health_url  # http or tcp
            assert supervisor.healthy(spec.health_url), f"{name}/{spec.name}"
            # the process runs inside that host (its network namespace), not on the deploying machine
            pid = supervisor.read_pid(paths.StateLayout(plan.state_dir).run, spec.name)
            assert pid in pids_in_netns(host.netns), f"{name}/{spec.name}"


def _load_tool(fl: fleet.Fleet) -> list[str]:
    """tier_load.py aimed at the agent collector of the host it runs in (OTLP on 127.0.0.1 only)."""
    return [sys.executable, str(Path(tier_load.__file__)), "--endpoint",
            f"http://127.0.0.1:{fl.cfg.ports.collector_otlp_http}"]


def test_a_span_sent_to_an_agent_reaches_jaeger_on_the_traces_host(cluster: Cluster, deployed: fleet.Fleet):
    agent, traces = cluster.host(FLEET_GROUPS["agents"][0]), cluster.host(FLEET_GROUPS["traces"][0])
    ports = deployed.cfg.ports
    trace_id, span_id = secrets.token_hex(16), secrets.token_hex(8)
    # from inside the agent host: its agent collector takes OTLP on 127.0.0.1 only (the host's SDKs)
    cluster.run(agent, [*_load_tool(deployed), "--service", "fleet-test", "--span", trace_id, span_id, "-"],
                timeout=60)

    def stored() -> bool:
        url = f"http://{traces.address}:{ports.jaeger_query}/api/traces/{trace_id}"
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                data = json.load(answer)["data"]
        except OSError:  # 404 until it is stored
            return False
        return [s["spanID"] for s in data[0]["spans"]] == [span_id]

    wait_for(stored, timeout=SPAN_TIMEOUT, interval=1.0, what=f"trace {trace_id} in Jaeger on {traces.name}")
    # Jaeger holds no state: the other traces host reads the same span out of the Cassandra cluster
    traces = cluster.host(FLEET_GROUPS["traces"][1])
    wait_for(stored, timeout=SPAN_TIMEOUT, interval=1.0, what=f"trace {trace_id} in Jaeger on {traces.name}")


def test_a_second_up_changes_nothing_and_plan_says_so(inventory: Path, deployed: fleet.Fleet):
    again = _apply(deployed, inventory)
    assert again.nothing_changed, again.changed
    assert _apply(deployed, inventory, dry=True).run.planned() == []
    # `make plan INVENTORY=…`: the CLI over the same inventory
    stack_config = inventory.parent / "fleet-stack.yaml"  # the settings the fleet was deployed with
    stack_config.write_text(yaml.safe_dump(FLEET_CONFIG))
    done = subprocess.run([sys.executable, "-m", "vibes_stack", "--mode", "native", "--inventory", str(inventory),
                           "--config", str(stack_config), "plan"], capture_output=True, text=True, timeout=600,
                          cwd=paths.REPO_ROOT,
                          env={**os.environ, "VIBES_HOME": str(inventory.parent / "unused-local-state")})
    assert done.returncode == 0, done.stderr
    assert "no changes" in done.stdout


#: the collector of each host: the agent or gateway tier (stack/group_data/agents.py, gateways.py)
COLLECTORS = ("collector", "collector-agent", "collector-gateway")


def _collector_of(fl: fleet.Fleet, name: str) -> str:
    (found,) = [c for c in COLLECTORS if c in fl.plans[name].components]
    return found


def _collector_changes(fl: fleet.Fleet, hosts: list[str]) -> set[tuple[str, str]]:
    """The operations a collector config change touches on ``hosts``: its config file, its process spec
    (its config hash) and its restart."""
    out = set()
    for name in hosts:
        component = _collector_of(fl, name)
        spec = fl.plans[name].components[component]
        out |= {(name, f"{component}: {path}") for path in spec.files}
        out |= {(name, f"{component}: process spec"), (name, f"{component}: running and healthy")}
    return out


def _collector_hosts(fl: fleet.Fleet) -> list[str]:
    return [name for name, plan in fl.plans.items() if set(COLLECTORS) & set(plan.components)]


def _query_url(cluster: Cluster, fl: fleet.Fleet, index: int = 0) -> str:
    return thanos.query_url(fl.cfg, cluster.host(FLEET_GROUPS["metrics"][index]).address)


def test_a_metric_sent_at_an_agent_is_answered_by_every_thanos_query(cluster: Cluster, deployed: fleet.Fleet):
    agent = cluster.host(FLEET_GROUPS["agents"][1])
    probe, value = secrets.token_hex(6), 7.0
    now = time.time_ns()
    body = {"resourceMetrics": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "fleet-test"}}]},
        "scopeMetrics": [{"metrics": [{"name": "fleet.probe", "sum": {
            "aggregationTemporality": 2, "isMonotonic": True,
            "dataPoints": [{"asDouble": value, "startTimeUnixNano": str(now - 10**9), "timeUnixNano": str(now),
                            "attributes": [{"key": "probe", "value": {"stringValue": probe}}]}]}}]}]}]}
    # from inside the agent host: its collector takes OTLP on 127.0.0.1 only
    cluster.run(agent, [*_load_tool(deployed), "--service", "fleet-test", "--post", "metrics"],
                input=json.dumps(body), timeout=60)
    began = time.monotonic()
    for index in range(len(FLEET_GROUPS["metrics"])):
        url = _query_url(cluster, deployed, index)
        # scraped by both Prometheus replicas, remote-written to the routers, deduplicated by query
        answered = lambda: instant(url, f'fleet_probe_total{{probe="{probe}"}}', time.time())  # noqa: E731
        wait_for(lambda: bool(answered()), timeout=METRIC_TIMEOUT, interval=2.0, what=f"probe {probe} at {url}")
        assert list(answered().values()) == [value]
    FIGURES["fleet: agent → collector → Prometheus → Thanos → query"] = f"{time.monotonic() - began:.0f}s"


def _stored(url: str, tag: str, since_s: float, at: float, **params) -> tuple[float, float]:
    """(sum of the newest values, number of stored samples) of one load's series, as query sees them."""
    selector = f'{LOAD_METRIC}{{load="{tag}"}}'
    total = instant(url, f"sum(last_over_time({selector}[{int(since_s) + 60}s]))", at, **params)
    count = instant(url, f"sum(count_over_time({selector}[{int(since_s) + 60}s]))", at, **params)
    return next(iter(total.values()), 0.0), next(iter(count.values()), 0.0)


def test_a_killed_ingestor_loses_nothing_and_rejoins_on_the_next_up(cluster: Cluster, inventory: Path,
                                                                    deployed: fleet.Fleet):
    victim = FLEET_GROUPS["metrics"][0]
    run_dir = paths.StateLayout(deployed.plans[victim].state_dir).run
    routers = [f"http://{thanos.endpoint(deployed.cfg, thanos.ROUTER, cluster.host(h).address, 'remote_write')}"
               f"{thanos.REMOTE_WRITE_PATH}" for h in FLEET_GROUPS["metrics"]]
    url = _query_url(cluster, deployed, 1)  # the survivor's query
    series, tag = 50, f"fleet-kill-{secrets.token_hex(3)}"
    began = time.time()
    with SteadyLoad(routers, series, 0.2, tag) as load:
        time.sleep(10)
        assert supervisor.kill(run_dir, thanos.INGESTOR)  # SIGKILL: no flush, no goodbye
        time.sleep(20)
        assert not load.failures, f"writes failed with one ingestor down: {load.failures[:3]}"
        restarted = _apply(deployed, inventory, limit=(victim,))  # `make up LIMIT=s1` brings it back
        assert restarted.actions[victim] == {"started": [thanos.INGESTOR]}, restarted.actions
        rejoined_at = time.time()
        victim_series = (f'{LOAD_METRIC}{{load="{tag}", {thanos.RECEIVE_REPLICA_LABEL}='
                         f'"{cluster.host(victim).address}"}}')

        def receiving() -> bool:  # the routers write to it again (they back off from a peer that was down)
            newest = instant(url, f"max(timestamp({victim_series}))", time.time(), dedup="false")
            return bool(newest) and next(iter(newest.values())) >= rejoined_at

        wait_for(receiving, timeout=120, interval=2.0, what=f"the restarted ingestor on {victim} receiving")
    time.sleep(2)
    at = time.time()
    total, count = _stored(url, tag, at - began, at)
    FIGURES["fleet: ingestor SIGKILLed under load, restarted by up"] = (
        f"{load.samples} samples sent in {load.batches} writes, {len(load.failures)} failed; stored {count:.0f}, "
        f"newest-value sum {total:.0f} (expected {load.batches * series})")
    assert not load.failures, load.failures[:3]
    assert (total, count) == (load.batches * series, load.samples)


def _cli(cluster: Cluster, fl: fleet.Fleet, *args: str) -> Any:
    """`vibes observe … --json` against the cluster's endpoints (query API of the tier, Jaeger on Cassandra,
    VictoriaLogs on the first metrics host); JSON lines (`logs`) come back as a list."""
    metrics_host = cluster.host(FLEET_GROUPS["metrics"][1]).address
    traces_host = cluster.host(FLEET_GROUPS["traces"][1]).address
    alerting_host = cluster.host(FLEET_GROUPS["alerting"][0]).address
    ports = fl.cfg.ports
    # no Loki URL: given explicitly, Loki would be required; natively logs are in VictoriaLogs
    env = {**{k: v for k, v in os.environ.items() if k != "VIBES_LOKI_URL"},
           "VIBES_PROMETHEUS_URL": thanos.query_url(fl.cfg, metrics_host),
           "VIBES_JAEGER_URL": f"http://{traces_host}:{ports.jaeger_query}",
           "VIBES_ALERTMANAGER_URL": f"http://{alerting_host}:{ports.alertmanager}",
           "VIBES_VICTORIALOGS_URL": f"http://{cluster.host(FLEET_GROUPS['metrics'][0]).address}:{ports.victorialogs}"}
    done = subprocess.run([sys.executable, "-m", "vibes_observe.cli", "observe", *args, "--json"], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    if args[0] == "logs":
        return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def demo_sent(cluster: Cluster, deployed: fleet.Fleet) -> dict[str, Any]:
    """The SDK's demo workload sent at an agent host (spans, cost counters, logs): what the CLI and the
    budget alert are checked against."""
    service = f"fleet-demo-{secrets.token_hex(3)}"
    agent = cluster.host(FLEET_GROUPS["agents"][0])
    # inside the agent host, at its collector on 127.0.0.1 (as an app on that host would)
    out = cluster.run(agent, [sys.executable, "-m", "vibes_sdk.demo", "--json", "--sessions", "2", "--seed", "11",
                              "--service-name", service,
                              "--endpoint", f"http://127.0.0.1:{deployed.cfg.ports.collector_otlp_http}"],
                      timeout=180)
    return json.loads(out)  # service, cost_usd: what the SDK priced in the app


def test_the_cli_answers_against_the_cluster_endpoints(cluster: Cluster, deployed: fleet.Fleet,
                                                       demo_sent: dict[str, Any]):
    status = _cli(cluster, deployed, "status")
    assert all(row["reachable"] for row in status if row["required"]), status

    service, spent = demo_sent["service"], demo_sent["cost_usd"]

    def traced() -> bool:
        return bool(_cli(cluster, deployed, "traces", "--service", service, "--since", "1h"))

    wait_for(traced, timeout=SPAN_TIMEOUT, interval=2.0, what=f"`vibes observe traces` of {service}")

    # each demo session logs "agent step done" once per agent (planner, coder), from the agent host
    def steps_logged() -> list[dict]:
        return [r for r in _cli(cluster, deployed, "logs", "--service", service, "--since", "1h", "--limit", "0")
                if r["body"] == "agent step done"]

    wait_for(lambda: len(steps_logged()) >= 2 * demo_sent["sessions"], timeout=SPAN_TIMEOUT, interval=2.0,
             what=f"`vibes observe logs` of {service}")
    assert len(steps_logged()) == 2 * demo_sent["sessions"]

    def cost_today() -> float:  # the tier's query API, as the CLI reads the single-host Prometheus
        answer = _cli(cluster, deployed, "cost", "--period", "today", "--service", service)
        return answer["prometheus"]["periods"]["today"]["cost_usd"]

    # the ledger rules catch up within a few evaluations; then the figure is exactly what the app priced
    wait_for(lambda: cost_today() >= spent * (1 - 1e-9), timeout=METRIC_TIMEOUT, interval=3.0,
             what=f"`vibes observe cost` of {service} reaching ${spent:.6f}")
    answered = cost_today()
    FIGURES["fleet: `vibes observe cost` of the demo (today)"] = f"${answered:.6f} (the app priced ${spent:.6f})"
    assert answered == pytest.approx(spent)


def test_every_dashboard_query_answers_through_thanos_query(cluster: Cluster, deployed: fleet.Fleet,
                                                           demo_sent: dict[str, Any]):
    """The dashboards, unchanged, on the tier's query API: every Prometheus panel query evaluates, and the
    Cost dashboard's Today shows what the app priced."""
    url = _query_url(cluster, deployed, 0)
    grafana = {"$__rate_interval": "1m", "$__interval": "1m", "$__interval_ms": "60000", "$__range": "1h",
               "$service": demo_sent["service"], "$model": ".*", "$agent": ".*", "$cost_center": ".*",
               "$session": ".*"}
    refused, answered = [], {}
    at = time.time()
    for slug in DASHBOARDS:
        for panel, target in prometheus_targets(slug):
            expr = substitute(target["expr"], grafana)
            try:
                answered[(slug, panel["title"], target["refId"])] = instant(url, expr, at)
            except ClusterError as exc:  # refused (HTTP 4xx/5xx or an error answer), naming the URL
                refused.append(f"{slug} / {panel['title']} / {target['refId']}: {exc}\n    {expr}")
    assert not refused, "\n".join(refused)
    assert ("cost", "Today", "A") in answered  # the walk found the queries

    # Today reads the period rule, which the rulers record each minute after the ledger's step (the CLI
    # adds raw counter growth for what is not recorded yet; the panel waits for the rule)
    def today() -> dict:
        (expr,) = [substitute(t["expr"], grafana) for p, t in prometheus_targets("cost") if p["title"] == "Today"]
        return instant(url, expr, time.time())

    spent = demo_sent["cost_usd"]
    wait_for(lambda: sum(today().values()) >= spent * (1 - 1e-9), timeout=METRIC_TIMEOUT, interval=3.0,
             what=f"the Today panel at {url} reaching ${spent:.6f}")
    assert list(today().values()) == [pytest.approx(spent)]


def test_a_budget_alert_notifies_once_through_the_alertmanager_pair(cluster: Cluster, deployed: fleet.Fleet,
                                                                   demo_sent: dict[str, Any]):
    ams = [f"http://{cluster.host(h).address}:{deployed.cfg.ports.alertmanager}" for h in FLEET_GROUPS["alerting"]]
    for url in ams:  # the pair formed one gossip cluster
        with urllib.request.urlopen(f"{url}/api/v2/status", timeout=10) as answer:
            state = json.load(answer)["cluster"]
        assert state["status"] == "ready" and len(state["peers"]) == 2, state
    # every Alertmanager delivers to the first alerting host's receiver
    receiver = deployed.plans[FLEET_GROUPS["alerting"][0]].components["alert-receiver"]
    alerts_file = Path(receiver.argv[receiver.argv.index("--file") + 1])

    def budget_lines() -> list[dict]:
        if not alerts_file.exists():
            return []
        lines = [json.loads(line) for line in alerts_file.read_text().splitlines() if line.strip()]
        return [line for line in lines if line["alertname"] == "CostBudgetExceeded" and line["status"] == "firing"]

    began = time.monotonic()
    wait_for(lambda: bool(budget_lines()), timeout=ALERT_TIMEOUT, interval=2.0, what="CostBudgetExceeded notified")
    FIGURES["fleet: demo sent → budget alert notified"] = f"{time.monotonic() - began:.0f}s after the CLI test"
    # longer than Alertmanager's peer timeout (15 s per position) so a duplicate would have arrived
    time.sleep(40)
    notified = budget_lines()
    assert len(notified) == 1, notified
    assert notified[0]["labels"].get("budget") == BUDGET["name"]
    assert thanos.RULE_REPLICA_LABEL not in notified[0]["labels"]


def test_plan_after_a_config_change_lists_exactly_the_changed_files_and_restarts(inventory: Path,
                                                                                  deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 1}})
    planned = set(_apply(changed, inventory, dry=True).run.planned())
    assert planned == _collector_changes(changed, _collector_hosts(changed))


def test_limit_gateways_touches_only_gateways(inventory: Path, deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 1}})
    result = _apply(changed, inventory, limit=("gateways",))
    assert [h.name for h in result.run.hosts] == list(FLEET_GROUPS["gateways"])
    assert {name for name, ops in result.changed.items() if ops} == set(FLEET_GROUPS["gateways"])
    assert {name: acts.get("restarted") for name, acts in result.actions.items()} \
        == {name: [_collector_of(changed, name)] for name in FLEET_GROUPS["gateways"]}
    # the agents still wait for the change; the gateways are done
    pending = set(_apply(changed, inventory, dry=True).run.planned())
    assert pending == _collector_changes(changed, list(FLEET_GROUPS["agents"]))


def test_serial_restarts_one_host_at_a_time_each_healthy_before_the_next(inventory: Path, deployed: fleet.Fleet):
    changed = _prepare(inventory, {"collector": {"queue_size": deployed.cfg.collector.queue_size + 2}})
    result = _apply(changed, inventory, serial=True)
    restarted = [h for h in result.run.hosts if result.actions.get(h.name, {}).get("restarted")]
    assert [h.name for h in restarted] == _collector_hosts(changed)  # inventory order, every collector host
    for host in restarted:  # the restart op returns only once the component answers its health check
        (op,) = [op for op in host.operations if op.name == f"{_collector_of(changed, host.name)}: running and healthy"]
        assert op.success and op.changed
    for before, after in zip(restarted, restarted[1:]):
        assert before.finished_at <= after.started_at, (before, after)
    print("rolling restart (s since the first host began): " + ", ".join(
        f"{h.name} {h.started_at - restarted[0].started_at:.1f}-{h.finished_at - restarted[0].started_at:.1f}"
        for h in restarted))
    assert all(supervisor.healthy(changed.plans[h.name].components[_collector_of(changed, h.name)].health_url)
               for h in restarted)

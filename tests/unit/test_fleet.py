"""Fleet rendering (vibes_stack.fleet): group data places components, each host rendered for its address."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vibes_stack import config, fleet, pyinfra_run
from vibes_stack.errors import StackConfigError

BINARIES = {name: f"/opt/bin/{name}" for name in ("collector", "jaeger", "prometheus", "alertmanager", "victorialogs",
                                                  "thanos-ingestor", "thanos-router", "thanos-query", "thanos-rule",
                                                  "cassandra")}
# the tiers' replication factors (2) need two metrics and two traces hosts
GROUPS = {"agents": ["a1", "a2"], "gateways": ["g1", "g2"], "metrics": ["m1", "m2"], "traces": ["t1", "t2"],
          "alerting": ["m1", "m2"]}


def _inventory(tmp_path: Path, groups=GROUPS, drop: str | None = None) -> Path:
    addresses = {name: f"10.9.0.{10 + i}" for i, name in enumerate(dict.fromkeys(n for g in groups.values() for n in g))}
    lines = []
    for group, names in groups.items():
        hosts = [(n, {k: v for k, v in {"vibes_address": addresses[n], "vibes_state_dir": str(tmp_path / n)}.items()
                      if k != drop}) for n in names]
        lines.append(f"{group} = {hosts!r}")
    path = tmp_path / "fleet.py"
    path.write_text("\n".join(lines) + "\n")
    return path


def _fleet(tmp_path: Path, **kw) -> fleet.Fleet:
    inventory = pyinfra_run.load_inventory(_inventory(tmp_path, **kw))
    return fleet.prepare(config.build({}), inventory, BINARIES)


def test_each_host_runs_the_union_of_its_groups_components(tmp_path):
    inventory = pyinfra_run.load_inventory(_inventory(tmp_path))
    fl = fleet.prepare(config.build({}), inventory, BINARIES)
    for name, plan in fl.plans.items():
        wanted = set().union(*(inventory.get_group_data(g)[fleet.COMPONENTS_KEY]
                               for g, members in GROUPS.items() if name in members))
        assert set(plan.components) == wanted, name


def test_components_bind_their_hosts_address_and_keep_files_under_its_state_dir(tmp_path):
    fl = _fleet(tmp_path)
    for name, plan in fl.plans.items():
        host = fl.hosts[name]
        for spec in plan.ordered():
            assert host.address in spec.health_url
            assert all(Path(p).is_relative_to(host.state_dir) for p in [*spec.files, *spec.dirs, *spec.secrets])
            assert all("0.0.0.0" not in text for text in spec.files.values())
        doc = fl.documents("up")[name]
        assert Path(doc["run_dir"]).is_relative_to(host.state_dir)


def test_peers_are_reached_at_the_address_of_the_host_that_runs_them(tmp_path):
    fl = _fleet(tmp_path)
    jaeger_host = fl.hosts["t1"].address
    for name in GROUPS["gateways"]:  # the agents reach the gateways (test_collector_tiers.py)
        (text,) = fl.plans[name].components["collector-gateway"].files.values()
        exporter = yaml.safe_load(text)["exporters"]["otlp_grpc/jaeger"]
        assert exporter["endpoint"].split(":")[0] == jaeger_host
    prom = yaml.safe_load(next(t for p, t in fl.plans["m1"].components["prometheus"].files.items()
                               if p.endswith("prometheus.yml")))
    scraped = {job["job_name"]: job["static_configs"][0]["targets"] for job in prom["scrape_configs"]}
    collectors = [fl.hosts[n].address for n in fl.hosts if {"collector-agent", "collector-gateway"}
                  & set(fl.plans[n].components)]
    assert sorted(t.split(":")[0] for t in scraped["otel-collector"]) == sorted(collectors)


def test_an_unknown_component_names_the_group_file_and_key(tmp_path):
    data = tmp_path / "group_data"
    data.mkdir()
    (data / "agents.py").write_text("vibes_components = ['collector', 'colector']\n")
    inventory = pyinfra_run.load_inventory(_inventory(tmp_path, groups={"agents": ["a1"]}), data)
    with pytest.raises(StackConfigError, match=r"group_data/agents\.py: vibes_components: .*'colector'"):
        fleet.fleet_hosts(inventory)


def test_a_host_without_its_own_state_dir_is_refused(tmp_path):
    with pytest.raises(pyinfra_run.TargetError, match=r"host a1: host data vibes_state_dir missing"):
        _fleet(tmp_path, drop="vibes_state_dir")


def test_a_component_reached_but_run_nowhere_is_a_config_error(tmp_path):
    with pytest.raises(StackConfigError, match=r"no inventory host runs jaeger"):
        _fleet(tmp_path, groups={"gateways": ["g1"]})


def test_the_local_inventory_is_not_a_fleet():
    assert not fleet.is_fleet(pyinfra_run.load_inventory())


def test_the_trace_tier_jaeger_writes_to_every_cassandra_host_and_the_nodes_seed_from_the_inventory(tmp_path):
    fl = _fleet(tmp_path)
    storage = [fl.hosts[n].address for n in GROUPS["traces"]]
    for name in GROUPS["traces"]:
        (text,) = fl.plans[name].components["jaeger"].files.values()
        backend = yaml.safe_load(text)["extensions"]["jaeger_storage"]["backends"]["cassandra_store"]["cassandra"]
        assert backend["connection"]["servers"] == storage
        node = fl.plans[name].components["cassandra"]
        conf = yaml.safe_load(next(t for p, t in node.files.items() if p.endswith("cassandra.yaml")))
        assert conf["listen_address"] == fl.hosts[name].address
        assert conf["seed_provider"][0]["parameters"][0]["seeds"] == ",".join(
            f"{a}:{fl.cfg.ports.cassandra_storage}" for a in storage)
        assert node.health_url == f"tcp://{fl.hosts[name].address}:{fl.cfg.ports.cassandra_native}"


def test_the_metrics_tier_prometheus_scrapes_and_remote_writes_to_every_router_evaluating_nothing(tmp_path):
    fl = _fleet(tmp_path)
    routers = [fl.hosts[n].address for n in GROUPS["metrics"]]
    for name in GROUPS["metrics"]:
        prom = fl.plans[name].components["prometheus"]
        conf = yaml.safe_load(next(t for p, t in prom.files.items() if p.endswith("prometheus.yml")))
        assert [w["url"] for w in conf["remote_write"]] == [
            f"http://{a}:{fl.cfg.ports.thanos_router_remote_write}/api/v1/receive" for a in routers]
        assert "rule_files" not in conf and "alerting" not in conf
        assert not [p for p in prom.files if "/rules/" in p]

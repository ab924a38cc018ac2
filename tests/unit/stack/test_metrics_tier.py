"""vibes_stack.cluster.metrics: the Thanos tier rendered as argv + files (no processes started)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from vibes_stack import binaries, config
from vibes_stack.cluster import metrics


def _nodes(prefix: str, first: int, count: int, root: Path) -> tuple[metrics.Node, ...]:
    return tuple(metrics.Node(f"{prefix}{i}", f"10.9.0.{first + i}", root / f"{prefix}{i}") for i in range(count))


@pytest.fixture
def topo(tmp_path: Path) -> metrics.Topology:
    return metrics.Topology(_nodes("r", 10, 2, tmp_path), _nodes("i", 20, 2, tmp_path), _nodes("q", 30, 1, tmp_path),
                            _rulers(tmp_path), _nodes("m", 50, 2, tmp_path), "http://10.9.0.60:9097/alerts")


def _rulers(root: Path) -> tuple[metrics.Node, ...]:  # one state dir path on every ruler host
    return tuple(metrics.Node(f"u{i}", f"10.9.0.{40 + i}", root / "ruler") for i in range(2))


@pytest.fixture
def cfg() -> dict:
    return config.build({"intervals": {"evaluation": "20s"}, "retention": {"metrics": "30d"}})


def _flags(process: metrics.Process, name: str) -> list[str]:
    return [arg.split("=", 1)[1] for arg in process.argv if arg.startswith(f"--{name}=")]


def _render(cfg, topo) -> dict[str, list[metrics.Process]]:
    by_role: dict[str, list[metrics.Process]] = {}
    for p in metrics.render(cfg, topo, thanos="/opt/thanos", alertmanager_bin="/opt/am"):
        by_role.setdefault(p.role, []).append(p)
    return by_role


def test_every_listener_binds_its_own_node_address(cfg, topo):
    for processes in _render(cfg, topo).values():
        for p in processes:
            listeners = [a.split("=", 1)[1] for a in p.argv if a.startswith("--") and "address=" in a
                         and not a.startswith("--cluster.advertise")]
            assert listeners, p.role
            assert {value.rsplit(":", 1)[0] for value in listeners} == {p.node.address}, (p.role, listeners)
            assert p.ready_url.startswith(f"http://{p.node.address}:")


def test_routers_replicate_to_every_ingestor_with_factor_two(cfg, topo):
    rendered = _render(cfg, topo)
    for router in rendered["router"]:
        ring_file = _flags(router, "receive.hashrings-file")[0]
        ring = json.loads(router.files[ring_file])
        assert [e["address"] for e in ring[0]["endpoints"]] == [n.endpoint("grpc") for n in topo.ingestors]
        assert _flags(router, "receive.replication-factor") == [str(metrics.REPLICATION_FACTOR)]
        assert not _flags(router, "receive.local-endpoint")  # a pure router
    for ingestor in rendered["ingestor"]:
        assert not _flags(ingestor, "receive.hashrings-file")  # a pure ingestor
        assert _flags(ingestor, "tsdb.retention") == [cfg.retention.metrics]
        assert _flags(ingestor, "label") == [f'{metrics.RECEIVE_REPLICA_LABEL}="{ingestor.node.name}"']
        assert str(ingestor.node.state_dir) in _flags(ingestor, "tsdb.path")[0]


def test_query_reads_ingestors_and_rulers_deduplicated_on_their_replica_labels(cfg, topo):
    (query,) = _render(cfg, topo)["query"]
    assert _flags(query, "endpoint") == [n.endpoint("grpc") for n in topo.ingestors + topo.rulers]
    assert set(_flags(query, "query.replica-label")) == {metrics.RECEIVE_REPLICA_LABEL, metrics.RULE_REPLICA_LABEL}
    assert _flags(query, "deduplication.func") == ["chain"]  # replicas' samples share timestamps: 1:1


def test_rulers_load_the_single_host_rule_files_and_send_to_every_alertmanager(cfg, topo):
    single_host_rules = metrics.alerting_files(cfg, topo)[0]
    for ruler in _render(cfg, topo)["rule"]:
        assert {Path(path).name: text for path, text in ruler.files.items()} == single_host_rules
        assert _flags(ruler, "eval-interval") == [cfg.intervals.evaluation]
        assert _flags(ruler, "alertmanagers.url") == [metrics.alertmanager_url(n, cfg) for n in topo.alertmanagers]
        assert _flags(ruler, "alert.label-drop") == [metrics.RULE_REPLICA_LABEL]  # replicas' alerts identical
        assert _flags(ruler, "query") == [metrics.query_url(n) for n in topo.queriers]


def test_alertmanagers_gossip_with_each_other_and_deliver_to_the_receiver(cfg, topo):
    ams = _render(cfg, topo)["alertmanager"]
    for am in ams:
        peers = _flags(am, "cluster.peer")
        assert peers == [f"{n.address}:{metrics.ALERTMANAGER_CLUSTER_PORT}" for n in topo.alertmanagers
                         if n != am.node]
        (text,) = am.files.values()
        assert topo.receiver_url in text


def test_too_few_ingestors_for_the_replication_factor_is_refused(cfg, topo):
    short = metrics.Topology(topo.routers, topo.ingestors[:1], topo.queriers, topo.rulers, topo.alertmanagers,
                             topo.receiver_url)
    with pytest.raises(ValueError, match="ingestors: 1 node"):
        metrics.render(cfg, short, thanos="t", alertmanager_bin="a")


def test_thanos_is_cached_by_version_and_not_rebuilt_when_present(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    target = binaries.cache_path("thanos")
    assert target.parent.name == f"thanos-{binaries.versions()['thanos']['version']}"
    target.parent.mkdir(parents=True)
    target.write_text("#!/bin/sh\n")
    target.chmod(0o755)

    def no_build(*args, **kwargs):
        raise AssertionError("built although cached")

    monkeypatch.setattr(binaries, "build_in_module_tree", no_build)
    assert binaries.module_tree_binary("thanos") == target


def test_rulers_with_different_state_dirs_are_refused(cfg, topo, tmp_path):
    # their groups would evaluate at different instants and dedup could not merge the ledgers 1:1
    apart = tuple(metrics.Node(n.name, n.address, tmp_path / n.name) for n in topo.rulers)
    with pytest.raises(ValueError, match="rulers: every ruler needs the same state dir path"):
        metrics.render(cfg, metrics.Topology(topo.routers, topo.ingestors, topo.queriers, apart,
                                             topo.alertmanagers, topo.receiver_url), thanos="t", alertmanager_bin="a")

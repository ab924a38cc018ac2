"""The fleet's metrics tier (vibes_stack/components/thanos.py + the Alertmanager gossip pair), rendered for
each host's HostPlacement with the tier's peers as an inventory places them (no processes started)."""
from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from vibes_stack import binaries, components, config
from vibes_stack.components import alertmanager, thanos
from vibes_stack.errors import StackConfigError
from vibes_stack.paths import StateLayout
from vibes_stack.render import render_native

ROLES = {thanos.ROUTER: ["10.9.0.10", "10.9.0.11"], thanos.INGESTOR: ["10.9.0.20", "10.9.0.21"],
         thanos.QUERY: ["10.9.0.30"], thanos.RULE: ["10.9.0.40", "10.9.0.41"],
         "alertmanager": ["10.9.0.50", "10.9.0.51"], "alert-receiver": ["10.9.0.60"]}
BINARIES = {**{c: "/opt/thanos" for c in (thanos.ROUTER, thanos.INGESTOR, thanos.QUERY, thanos.RULE)},
            "alertmanager": "/opt/am"}
REGISTRY = {c.name: c for c in components.ALL}


@pytest.fixture
def cfg() -> config.StackConfig:
    return config.build({"intervals": {"evaluation": "20s"}, "retention": {"metrics": "30d"}})


def _render(cfg, root: Path, peers=ROLES) -> dict[str, list[components.ComponentSpec]]:
    """component → its spec on each of its hosts, each host with a state dir of its own."""
    by_role: dict[str, list[components.ComponentSpec]] = {}
    for component, addresses in peers.items():
        if component == "alert-receiver":
            continue
        for address in addresses:
            state = StateLayout(root / address)
            place = components.HostPlacement(cfg, state, BINARIES, address=address, peers=peers)
            by_role.setdefault(component, []).append(REGISTRY[component].spec(cfg, place))
    return by_role


def _flags(spec: components.ComponentSpec, name: str) -> list[str]:
    return [arg.split("=", 1)[1] for arg in spec.argv if arg.startswith(f"--{name}=")]


def _address(spec: components.ComponentSpec) -> str:
    return spec.health_url.split("//")[1].rsplit(":", 1)[0]


def test_every_listener_binds_its_own_host_address(cfg, tmp_path):
    for specs in _render(cfg, tmp_path).values():
        for spec in specs:
            listeners = [a.split("=", 1)[1] for a in spec.argv if a.startswith("--") and "address=" in a
                         and not a.startswith("--cluster.advertise")]
            assert listeners, spec.name
            assert {value.rsplit(":", 1)[0] for value in listeners} == {_address(spec)}, (spec.name, listeners)


def test_routers_replicate_to_every_ingestor_with_factor_two(cfg, tmp_path):
    rendered = _render(cfg, tmp_path)
    for router in rendered[thanos.ROUTER]:
        ring_file = _flags(router, "receive.hashrings-file")[0]
        ring = json.loads(router.files[ring_file])
        assert [e["address"] for e in ring[0]["endpoints"]] == [
            f"{a}:{cfg.ports.thanos_ingestor_grpc}" for a in ROLES[thanos.INGESTOR]]
        assert _flags(router, "receive.replication-factor") == [str(thanos.REPLICATION_FACTOR)]
        assert not _flags(router, "receive.local-endpoint")  # a pure router
    for ingestor in rendered[thanos.INGESTOR]:
        assert not _flags(ingestor, "receive.hashrings-file")  # a pure ingestor
        assert _flags(ingestor, "tsdb.retention") == [cfg.retention.metrics]
        assert _flags(ingestor, "label") == [f'{thanos.RECEIVE_REPLICA_LABEL}="{_address(ingestor)}"']
        assert str(tmp_path / _address(ingestor)) in _flags(ingestor, "tsdb.path")[0]


def test_query_reads_ingestors_and_rulers_deduplicated_on_their_replica_labels(cfg, tmp_path):
    (query,) = _render(cfg, tmp_path)[thanos.QUERY]
    assert _flags(query, "endpoint") == ([f"{a}:{cfg.ports.thanos_ingestor_grpc}" for a in ROLES[thanos.INGESTOR]]
                                         + [f"{a}:{cfg.ports.thanos_rule_grpc}" for a in ROLES[thanos.RULE]])
    assert set(_flags(query, "query.replica-label")) == {thanos.RECEIVE_REPLICA_LABEL, thanos.RULE_REPLICA_LABEL,
                                                        thanos.PROMETHEUS_REPLICA_LABEL}
    assert _flags(query, "deduplication.func") == ["chain"]  # replicas' samples share timestamps: 1:1


def test_rulers_load_the_single_host_rule_files_and_send_to_every_alertmanager(cfg, tmp_path):
    single_host = components.NativePlacement(cfg, StateLayout(tmp_path / "single"), {"alert-receiver": "x"})
    single_host_rules = components._alerting.outputs(cfg, single_host)[0]
    for ruler in _render(cfg, tmp_path)[thanos.RULE]:
        assert {Path(path).name: text for path, text in ruler.files.items()} == single_host_rules
        assert _flags(ruler, "eval-interval") == [cfg.intervals.evaluation]
        assert _flags(ruler, "alertmanagers.url") == [thanos.alertmanager_url(cfg, a) for a in ROLES["alertmanager"]]
        assert _flags(ruler, "alert.label-drop") == [thanos.RULE_REPLICA_LABEL]  # replicas' alerts identical
        assert _flags(ruler, "query") == [thanos.query_url(cfg, a) for a in ROLES[thanos.QUERY]]


def test_rulers_name_their_rule_files_alike_whatever_their_state_dir_path(cfg, tmp_path):
    # the rule manager offsets a group's evaluations by a hash of its file path (thanos rule: its copy
    # under the data dir): the same path string on every ruler, the same instants, a 1:1 dedup
    rulers = _render(cfg, tmp_path)[thanos.RULE]
    assert len({r.cwd for r in rulers}) == len(rulers)  # different state dirs
    assert len({(tuple(_flags(r, "data-dir")), tuple(_flags(r, "rule-file"))) for r in rulers}) == 1
    for ruler in rulers:  # relative to its own state dir, they name its own data dir and rule files
        (data,), (rule_glob,) = _flags(ruler, "data-dir"), _flags(ruler, "rule-file")
        assert not Path(data).is_absolute() and not Path(rule_glob).is_absolute()
        assert str(Path(ruler.cwd) / data) in ruler.dirs
        assert sorted(fnmatch.filter(ruler.files, str(Path(ruler.cwd) / rule_glob))) == sorted(ruler.files)


def test_alertmanagers_gossip_with_each_other_and_deliver_to_the_receiver(cfg, tmp_path):
    for am in _render(cfg, tmp_path)["alertmanager"]:
        peers = _flags(am, "cluster.peer")
        assert peers == [f"{a}:{cfg.ports.alertmanager_cluster}" for a in ROLES["alertmanager"] if a != _address(am)]
        text = next(t for p, t in am.files.items() if p.endswith("alertmanager.yml"))
        assert f"http://{ROLES['alert-receiver'][0]}:{cfg.ports.alert_receiver}/alerts" in text


def test_a_single_alertmanager_has_no_gossip_listener(cfg, tmp_path):
    place = components.NativePlacement(cfg, StateLayout(tmp_path), {"alertmanager": "/opt/am"})
    assert alertmanager.cluster_flags(cfg, place) == ["--cluster.listen-address="]


def test_too_few_ingestors_for_the_replication_factor_is_refused(cfg, tmp_path):
    short = {**ROLES, thanos.INGESTOR: ROLES[thanos.INGESTOR][:1]}
    with pytest.raises(StackConfigError, match="1 thanos-ingestor host"):
        _render(cfg, tmp_path, short)


def test_the_tiers_are_never_part_of_a_single_host_stack(cfg, tmp_path):
    every = {c.name: "/opt/x" for c in components.ALL}
    plan = render_native(cfg, tmp_path, every)
    assert not {c.name for c in components.ALL if c.fleet_only} & set(plan.components)
    assert "remote_write" not in plan.components["prometheus"].files[str(tmp_path / "config/prometheus/prometheus.yml")]
    assert not {c.name for c in components.ALL if c.fleet_only} & set(binaries.native_components(optional=False))


def test_thanos_is_cached_by_version_and_not_rebuilt_when_present(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    target = binaries.cache_path("thanos")
    assert target.parent.name == f"thanos-{binaries.versions()['thanos']['version']}"
    assert binaries.cache_path(thanos.QUERY) == target  # every role runs the one pinned binary
    target.parent.mkdir(parents=True)
    target.write_text("#!/bin/sh\n")
    target.chmod(0o755)

    def no_build(*args, **kwargs):
        raise AssertionError("built although cached")

    monkeypatch.setattr(binaries, "build_in_module_tree", no_build)
    assert binaries.module_tree_binary("thanos") == target

"""vibes_stack.cassandra without Java: the generated pom, per-node configs, the java argv and the
Jaeger config for a Cassandra backend (the live cluster is tests/cluster, `make test-cluster`)."""
from __future__ import annotations

import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from vibes_stack import binaries, cassandra
from vibes_stack.components import jaeger as jaeger_component
from vibes_stack.config import Duration

POM_NS = {"m": "http://maven.apache.org/POM/4.0.0"}


def two_nodes(tmp_path: Path) -> list[cassandra.Node]:
    return [cassandra.Node(f"node{i}", f"127.0.0.{i + 1}", tmp_path / f"node{i}", ("127.0.0.2",),
                           storage_port=17000, native_port=19042) for i in (1, 2)]


def test_the_pom_asks_maven_for_the_pinned_module():
    pin = cassandra.pins()
    dep = ET.fromstring(cassandra.pom(pin["version"], pin["maven_module"])).find("m:dependencies/m:dependency", POM_NS)
    found = ":".join(dep.find(f"m:{k}", POM_NS).text for k in ("groupId", "artifactId"))
    assert found == pin["maven_module"]
    assert dep.find("m:version", POM_NS).text == pin["version"]
    assert cassandra.lib_dir().parent.name == f"cassandra-{pin['version']}"  # the cache is keyed by version


def test_each_node_keeps_its_own_state_and_finds_the_seed(tmp_path):
    configs = [cassandra.node_config(node, replication_factor=2) for node in two_nodes(tmp_path)]
    dir_keys = ("commitlog_directory", "saved_caches_directory", "hints_directory", "cdc_raw_directory")
    dirs = [{*c["data_file_directories"], *(c[k] for k in dir_keys)} for c in configs]
    assert not dirs[0] & dirs[1]
    for node, config, own in zip(two_nodes(tmp_path), configs, dirs):
        assert all(Path(d).is_relative_to(node.home) for d in own)
        assert config["listen_address"] == config["rpc_address"] == node.address
        assert config["seed_provider"][0]["parameters"][0]["seeds"] == f"127.0.0.2:{node.storage_port}"
        assert config["native_transport_port"] == node.native_port
        assert config["allocate_tokens_for_local_replication_factor"] == 2
    assert configs[0]["cluster_name"] == configs[1]["cluster_name"]


def test_written_config_is_the_yaml_the_daemon_reads(tmp_path):
    node = two_nodes(tmp_path)[0]
    cassandra.write_config(node, replication_factor=2)
    assert yaml.safe_load(node.config_file.read_text()) == cassandra.node_config(node, 2)
    assert all(Path(d).is_dir() for d in yaml.safe_load(node.config_file.read_text())["data_file_directories"])


def test_java_argv_points_the_daemon_at_the_node(tmp_path):
    node = two_nodes(tmp_path)[1]
    argv = cassandra.java_argv(node, tmp_path / "lib")
    assert argv[-1] == cassandra.DAEMON_CLASS
    assert argv[argv.index("-cp") + 1] == f"{tmp_path / 'lib'}/*"
    assert f"-Xmx{node.heap}" in argv and f"-Dcassandra.config={node.config_file.as_uri()}" in argv
    for flag in ("--add-exports", "--add-opens"):  # every JPMS flag carries its module/package=target
        values = [argv[i + 1] for i, a in enumerate(argv) if a == flag]
        assert values and all(v.endswith("=ALL-UNNAMED") and "/" in v for v in values)
    assert not any("ring_delay" in a for a in argv)  # the real-network defaults unless asked
    quick = cassandra.java_argv(cassandra.Node("q", node.address, node.home, node.seeds, quick_start=True),
                                tmp_path / "lib")
    assert any(a.startswith("-Dcassandra.ring_delay_ms=") for a in quick)


PORTS = {"jaeger_otlp_grpc": 1, "jaeger_otlp_http": 2, "jaeger_query": 3, "jaeger_query_grpc": 4,
         "jaeger_health": 5, "jaeger_metrics": 6}


def test_jaeger_config_stores_and_queries_through_the_cassandra_backend():
    servers = ["10.0.0.5", "10.0.0.6"]
    cfg = yaml.safe_load(jaeger_component.cassandra_config(listen="127.0.0.9", ports=PORTS, servers=servers, native_port=9142,
                                                 keyspace="ks", replication_factor=3, retention=Duration("3d")))
    backends = cfg["extensions"]["jaeger_storage"]["backends"]
    (name, backend), = backends.items()
    assert cfg["extensions"]["jaeger_query"]["storage"]["traces"] == name
    assert cfg["exporters"]["jaeger_storage_exporter"]["trace_storage"] == name
    store = backend["cassandra"]
    assert store["connection"]["servers"] == servers and store["connection"]["port"] == 9142
    assert store["schema"]["keyspace"] == "ks" and store["schema"]["replication_factor"] == 3
    assert store["schema"]["trace_ttl"] == "72h"
    assert store["query"]["consistency"] == "LOCAL_ONE"
    endpoints = [cfg["extensions"]["healthcheckv2"]["http"]["endpoint"],
                 cfg["extensions"]["jaeger_query"]["http"]["endpoint"],
                 cfg["extensions"]["jaeger_query"]["grpc"]["endpoint"],
                 *(p["endpoint"] for p in cfg["receivers"]["otlp"]["protocols"].values())]
    assert sorted(endpoints) == sorted(f"127.0.0.9:{PORTS[k]}" for k in PORTS if k != "jaeger_metrics")


def test_jaeger_cassandra_config_passes_jaeger_validate(tmp_path):
    jaeger, _ = binaries.find("jaeger")
    assert jaeger, "jaeger binary missing: run `python -m vibes_stack binaries`"
    f = tmp_path / "jaeger.yaml"
    f.write_text(jaeger_component.cassandra_config(listen="127.0.0.1", ports={k: 20000 + v for k, v in PORTS.items()},
                                         servers=["127.0.0.2", "127.0.0.3"], native_port=9042, keyspace="ks",
                                         replication_factor=2, retention=Duration("48h")))
    proc = subprocess.run([jaeger, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_fetch_without_maven_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(cassandra.CassandraError, match=r"Maven \(mvn\) is needed"):
        cassandra.fetch(out=lambda line: None)
    assert not cassandra.lib_dir().exists()  # no half-filled cache left behind


def test_fetch_uses_the_cache_when_present(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    cassandra.lib_dir().mkdir(parents=True)
    assert cassandra.fetch(out=lambda line: None) == cassandra.lib_dir()


def test_a_stale_pid_file_is_not_a_running_node(tmp_path):
    node = two_nodes(tmp_path)[0]
    node.home.mkdir(parents=True)
    assert cassandra.pid(node) is None
    node.pid_file.write_text(str(os.getpid()))
    assert cassandra.pid(node) == os.getpid()
    node.pid_file.write_text("not a pid")
    assert cassandra.pid(node) is None

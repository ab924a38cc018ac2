"""Simple-scalable Loki in compose, checked as data (no Docker engine or Loki binary here): the
write/read/backend services of one image share one rendered config, reach the ring and the object
store by service name, authenticate with the credentials SeaweedFS' identities file grants, and the
collector / Grafana point at the write / read targets."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from vibes_stack import config, paths
from vibes_stack.components import loki, seaweedfs
from vibes_stack.compose import render_compose

SCALABLE = {"loki": {"mode": "simple-scalable"}}
TARGET_SERVICES = tuple(loki.TARGETS)


def _file(plan, suffix: str) -> str:
    (path,) = [p for p in plan.files if p.endswith(suffix)]
    return plan.files[path]


@pytest.fixture(scope="module")
def state(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("compose-scalable")


@pytest.fixture(scope="module")
def plan(state):
    return render_compose(config.build({**SCALABLE, "retention": {"logs": "5d"}}), state)


@pytest.fixture(scope="module")
def services(plan):
    return yaml.safe_load(plan.compose_text)["services"]


@pytest.fixture(scope="module")
def loki_config(plan):
    return yaml.safe_load(_file(plan, "/loki.yaml"))


def _mount(service: dict, container_path: str) -> str:
    (host,) = [v.split(":")[0] for v in service["volumes"] if v.split(":")[1] == container_path]
    return host


def test_default_stays_single_process(tmp_path):
    services = yaml.safe_load(render_compose(config.build({}), tmp_path).compose_text)["services"]
    assert "loki" in services
    assert not set(services) & {*TARGET_SERVICES, seaweedfs.NAME}


def test_three_targets_of_the_same_image_and_an_object_store(services):
    pins = yaml.safe_load(paths.VERSIONS_FILE.read_text())
    assert "loki" not in services
    targets = {}
    for name in TARGET_SERVICES:
        svc = services[name]
        assert svc["image"] == pins["loki"]["image"]
        (target,) = [a.split("=", 1)[1] for a in svc["command"] if a.startswith("-target=")]
        targets[target] = name
    assert set(targets) == {"write", "read", "backend"}
    assert services[seaweedfs.NAME]["image"] == pins["seaweedfs"]["image"]
    assert services[seaweedfs.NAME]["command"][:2] == ["server", "-s3"]


def test_the_targets_share_one_config_file(plan, services):
    files = set()
    for name in TARGET_SERVICES:
        svc = services[name]
        (arg,) = [a for a in svc["command"] if a.startswith("-config.file=")]
        seen = arg.split("=", 1)[1]
        host_dir = _mount(svc, str(Path(seen).parent))
        files.add(str(Path(host_dir) / Path(seen).name))
    assert len(files) == 1
    (shared,) = files
    assert shared in plan.files
    assert sum(p.endswith("/loki.yaml") for p in plan.files) == 1


def test_every_target_reaches_the_ring_and_the_store_by_service_name(loki_config, services):
    assert loki_config["common"]["ring"]["kvstore"]["store"] == "memberlist"
    port = loki_config["memberlist"]["bind_port"]
    joined = {m.removeprefix("dns+") for m in loki_config["memberlist"]["join_members"]}
    assert joined == {f"{name}:{port}" for name in TARGET_SERVICES}
    s3 = loki_config["common"]["storage"]["s3"]
    host, s3_port = s3["endpoint"].split(":")
    assert host in services
    assert f"-s3.port={s3_port}" in services[host]["command"]
    compactor = loki_config["common"]["compactor_address"].removeprefix("http://")
    host, http_port = compactor.split(":")
    assert "-target=backend" in services[host]["command"]
    assert f"-server.http-listen-port={http_port}" in services[host]["command"]


def test_tsdb_v13_on_s3_with_the_retention_of_the_stack_config(loki_config):
    (schema,) = loki_config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == ("tsdb", "v13", "s3")
    assert loki_config["limits_config"]["retention_period"] == "120h"
    assert loki_config["compactor"]["retention_enabled"] is True
    assert loki_config["compactor"]["delete_request_store"] == "s3"


def test_loki_authenticates_with_what_the_identities_file_grants(plan, services, loki_config):
    svc = services[seaweedfs.NAME]
    (arg,) = [a for a in svc["command"] if a.startswith("-s3.config=")]
    seen = arg.split("=", 1)[1]
    identities = json.loads(plan.files[str(Path(_mount(svc, str(Path(seen).parent))) / Path(seen).name)])
    granted = {(c["accessKey"], c["secretKey"]): i["actions"]
               for i in identities["identities"] for c in i["credentials"]}
    s3 = loki_config["common"]["storage"]["s3"]
    actions = granted[(s3["access_key_id"], s3["secret_access_key"])]
    assert {"Read", "Write", "List"} <= set(actions)
    assert len(granted) == 1  # nothing else, nothing anonymous


def test_credentials_are_generated_never_fixed_and_kept(tmp_path):
    def creds(state):
        rendered = _file(render_compose(config.build(SCALABLE), state), "/loki.yaml")
        s3 = yaml.safe_load(rendered)["common"]["storage"]["s3"]
        return s3["access_key_id"], s3["secret_access_key"]
    first, other = creds(tmp_path / "a"), creds(tmp_path / "b")
    assert first[0] != other[0] and first[1] != other[1]
    assert len(first[1]) >= 32
    assert creds(tmp_path / "a") != first  # nothing kept yet: each render mints
    # what the deploy writes (the kept copy among the rendered files); the next render reads it back
    plan = render_compose(config.build(SCALABLE), tmp_path / "a")
    kept = next(p for p in plan.files if p.endswith(seaweedfs.CREDENTIALS))
    Path(kept).parent.mkdir(parents=True)
    Path(kept).write_text(plan.files[kept])
    minted = yaml.safe_load(_file(plan, "/loki.yaml"))["common"]["storage"]["s3"]
    assert creds(tmp_path / "a") == (minted["access_key_id"], minted["secret_access_key"])


def test_config_and_credential_files_are_written_0600(plan):
    secret = {p for c in plan.ordered() for p in c.secret_files}
    assert {p for p in plan.files if p.endswith(("/loki.yaml", "/s3.json", seaweedfs.CREDENTIALS))} <= secret


def test_collector_pushes_to_write_and_grafana_reads_from_read(plan, services):
    write_port = services["loki-write"]["command"][-1].split("=")[1]
    collector = yaml.safe_load(_file(plan, "otelcol.yaml"))
    assert collector["exporters"]["otlp_http/loki"]["endpoint"] == f"http://loki-write:{write_port}/otlp"
    assert collector["service"]["pipelines"]["logs"]["exporters"] == ["otlp_http/loki"]
    read_port = services["loki-read"]["command"][-1].split("=")[1]
    assert services["grafana"]["environment"]["VIBES_LOKI_URL"] == f"http://loki-read:{read_port}"


def test_the_cli_default_url_is_the_published_read_target(services):
    # `vibes observe logs` defaults to 127.0.0.1:<ports.loki>: the read target publishes it
    port = config.load_defaults()["ports"]["loki"]
    assert f"127.0.0.1:{port}:{port}" in services["loki-read"]["ports"]
    assert f"-server.http-listen-port={port}" in services["loki-read"]["command"]


def test_every_target_and_store_publishes_only_on_loopback(services):
    for name in (*TARGET_SERVICES, seaweedfs.NAME):
        assert services[name]["ports"] and all(p.startswith("127.0.0.1:") for p in services[name]["ports"]), name


def test_replicas_scale_each_target_on_consecutive_ports(tmp_path):
    cfg = config.build({"loki": {"mode": "simple-scalable", "replicas": {"write": 3, "read": 2, "backend": 1}}})
    services = yaml.safe_load(render_compose(cfg, tmp_path).compose_text)["services"]
    read, write = cfg.ports.loki, cfg.ports.loki_write
    assert services["loki-write"]["deploy"]["replicas"] == 3
    assert services["loki-write"]["ports"] == [f"127.0.0.1:{write}-{write + 2}:{write}"]
    assert services["loki-read"]["ports"] == [f"127.0.0.1:{read}-{read + 1}:{read}"]
    assert "deploy" not in services["loki-backend"]
    doc = yaml.safe_load(_file(render_compose(cfg, tmp_path), "/loki.yaml"))
    assert doc["common"]["replication_factor"] == 3
    # each replica of a target writes under its own hostname in the target's data dir
    assert "${HOSTNAME}" in doc["common"]["path_prefix"]
    assert "-config.expand-env=true" in services["loki-write"]["command"]


def test_prometheus_scrapes_every_target(plan, services):
    prom = yaml.safe_load(_file(plan, "prometheus.yml"))
    (job,) = [j for j in prom["scrape_configs"] if j["job_name"] == "loki"]
    scraped = {t.split(":")[0] for c in job["static_configs"] for t in c["targets"]}
    assert scraped == set(TARGET_SERVICES)


def test_native_mode_ignores_the_setting(tmp_path):
    from vibes_stack.render import render_native
    bins = {"collector": "/bin/otelcol", "jaeger": "/bin/jaeger", "prometheus": "/bin/prometheus",
            "alertmanager": "/bin/alertmanager", "victorialogs": "/bin/victoria-logs", "loki": None, "grafana": None}
    plan = render_native(config.build(SCALABLE), tmp_path, bins)
    assert not set(plan.components) & {*TARGET_SERVICES, seaweedfs.NAME}
    assert "victorialogs" in plan.components
    assert any(n.startswith("loki.mode: simple-scalable applies to compose only") for n in plan.notices)

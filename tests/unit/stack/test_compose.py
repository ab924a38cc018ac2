"""Compose mode, checked statically (no Docker engine here): pinned official images, limits,
log rotation, 127.0.0.1-only ports, configs that the real tools accept, Grafana provisioning
whose datasource UIDs match vibes_observe/datasources.py and every dashboard's references."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
import yaml

from vibes_observe import datasources
from vibes_stack import binaries, config, paths
from vibes_stack.compose import render_compose

OFFICIAL = {
    "collector": "otel/opentelemetry-collector-contrib:",
    "jaeger": "jaegertracing/jaeger:2.",
    "prometheus": "prom/prometheus:v3.",
    "loki": "grafana/loki:3.",
    "grafana": "grafana/grafana:",
    "alertmanager": "prom/alertmanager:",
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return render_compose(config.build({}), tmp_path_factory.mktemp("compose-state"))


@pytest.fixture(scope="module")
def compose(plan):
    return yaml.safe_load(plan.compose_text)


def test_images_are_official_and_pinned_from_versions_yaml(compose):
    pins = yaml.safe_load(paths.VERSIONS_FILE.read_text())
    for name, prefix in OFFICIAL.items():
        image = compose["services"][name]["image"]
        assert image.startswith(prefix), (name, image)
        assert image == pins[name]["image"], f"{name}: compose uses {image}, versions.yaml pins {pins[name]['image']}"
    for name, svc in compose["services"].items():
        tag = svc["image"].rsplit(":", 1)[1]
        assert tag and tag != "latest", (name, svc["image"])


def test_every_container_has_a_memory_limit_and_log_rotation(compose):
    for name, svc in compose["services"].items():
        assert svc["mem_limit"], name
        assert svc["logging"]["driver"] == "json-file", name
        assert svc["logging"]["options"]["max-size"] and int(svc["logging"]["options"]["max-file"]) >= 1, name


def test_every_published_port_is_loopback(compose):
    published = []
    for name, svc in compose["services"].items():
        for spec in svc.get("ports", []):
            host_ip, host_port, container_port = spec.split(":")
            assert host_ip == "127.0.0.1", (name, spec)
            published.append(int(host_port))
    assert len(published) == len(set(published)), "a host port is published twice"
    assert config.load_defaults()["ports"]["grafana"] in published


def test_each_service_carries_its_config_hash(tmp_path):
    a = yaml.safe_load(render_compose(config.build({}), tmp_path).compose_text)["services"]
    b = yaml.safe_load(render_compose(config.build({"retention": {"traces": "24h"}}), tmp_path).compose_text)["services"]
    changed = {n for n in a if a[n]["labels"]["vibes.config-hash"] != b[n]["labels"]["vibes.config-hash"]}
    assert changed == {"jaeger"}  # compose recreates only the service whose config changed


def _write(plan, tmp_path, suffix):
    path = next(p for p in plan.files if p.endswith(suffix))
    f = tmp_path / suffix.replace("/", "_")
    f.write_text(plan.files[path])
    return f


def test_compose_collector_config_validates(plan, tmp_path):
    otelcol, _ = binaries.find("collector")
    assert otelcol, "collector binary missing: run `python -m vibes_stack binaries`"
    f = _write(plan, tmp_path, "otelcol.yaml")
    proc = subprocess.run([otelcol, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    doc = yaml.safe_load(f.read_text())
    assert doc["exporters"]["otlp_http/loki"]["endpoint"].endswith("/otlp")
    assert doc["exporters"]["otlp_http/loki"]["sending_queue"]["storage"] == "file_storage/queue"


def test_compose_jaeger_config_validates(plan, tmp_path):
    jaeger, _ = binaries.find("jaeger")
    assert jaeger, "jaeger binary missing: run `python -m vibes_stack binaries`"
    f = _write(plan, tmp_path, "jaeger.yaml")
    proc = subprocess.run([jaeger, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout


def test_compose_prometheus_and_alertmanager_configs_pass_their_checkers(plan, tmp_path):
    prom = _write(plan, tmp_path, "prometheus.yml")
    proc = subprocess.run(["promtool", "check", "config", "--syntax-only", str(prom)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    am = _write(plan, tmp_path, "alertmanager.yml")
    proc = subprocess.run(["amtool", "check-config", str(am)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_loki_config_has_retention_compactor_and_otlp_metadata(tmp_path):
    plan = render_compose(config.build({"retention": {"logs": "3d"}}), tmp_path)
    loki = yaml.safe_load(plan.files[next(p for p in plan.files if p.endswith("loki.yaml"))])
    assert loki["limits_config"]["retention_period"] == "72h"
    assert loki["limits_config"]["allow_structured_metadata"] is True
    assert loki["compactor"]["retention_enabled"] is True and loki["compactor"]["delete_request_store"]
    assert loki["schema_config"]["configs"][0]["schema"] == "v13"
    assert loki["server"]["http_listen_port"] == config.load_defaults()["ports"]["loki"]
    assert loki["auth_enabled"] is False and loki["analytics"]["reporting_enabled"] is False


def test_grafana_is_locked_down(compose):
    env = compose["services"]["grafana"]["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "false" and env["GF_USERS_ALLOW_SIGN_UP"] == "false"
    assert env["GF_SECURITY_ADMIN_PASSWORD__FILE"].startswith("/run/secrets/")
    assert "GF_SECURITY_ADMIN_PASSWORD" not in env


def _datasources():
    return yaml.safe_load((paths.PROVISIONING_DIR / "grafana" / "datasources.yaml").read_text())["datasources"]


def test_datasource_uids_are_the_fixed_ones_and_cross_links_resolve():
    sources = _datasources()
    uids = {d["uid"] for d in sources}
    assert uids == set(datasources.ALL_UIDS)
    by_uid = {d["uid"]: d for d in sources}
    prom, jaeger, loki = by_uid[datasources.PROMETHEUS_UID], by_uid[datasources.JAEGER_UID], by_uid[datasources.LOKI_UID]
    assert prom["jsonData"]["exemplarTraceIdDestinations"][0]["datasourceUid"] == datasources.JAEGER_UID
    assert jaeger["jsonData"]["tracesToLogsV2"]["datasourceUid"] == datasources.LOKI_UID
    assert loki["jsonData"]["derivedFields"][0]["datasourceUid"] == datasources.JAEGER_UID
    for d in sources:
        assert d["url"].startswith("${VIBES_") and d["access"] == "proxy"


def test_grafana_env_provides_every_datasource_url(compose):
    env = compose["services"]["grafana"]["environment"]
    for d in _datasources():
        var = d["url"].strip("${}")
        assert env.get(var, "").startswith("http://"), var


def _uids_in(node, found):
    if isinstance(node, dict):
        ds = node.get("datasource")
        if isinstance(ds, dict) and isinstance(ds.get("uid"), str) and not ds["uid"].startswith("$"):
            found.add(ds["uid"])
        for v in node.values():
            _uids_in(v, found)
    elif isinstance(node, list):
        for v in node:
            _uids_in(v, found)
    return found


def test_every_datasource_uid_a_dashboard_uses_exists():
    provisioned = {d["uid"] for d in _datasources()}
    dashboards = sorted(paths.DASHBOARDS_DIR.glob("**/*.json"))
    assert dashboards, f"no dashboard JSON in {paths.DASHBOARDS_DIR}"
    all_used: set[str] = set()
    for dash in dashboards:
        used = _uids_in(json.loads(dash.read_text()), set())
        assert used <= provisioned, f"{dash.name} uses datasource uids {sorted(used - provisioned)} not provisioned"
        all_used |= used
    assert datasources.PROMETHEUS_UID in all_used  # the walk really finds the references


def test_dashboard_provider_loads_the_mounted_dashboards_dir(compose):
    prov = yaml.safe_load((paths.PROVISIONING_DIR / "grafana" / "dashboards.yaml").read_text())
    path = prov["providers"][0]["options"]["path"]
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"{paths.DASHBOARDS_DIR}:{path}:ro" in mounts


def test_docker_compose_accepts_the_file(plan, tmp_path):
    docker = shutil.which("docker")
    if not docker or subprocess.run([docker, "info"], capture_output=True).returncode != 0:
        pytest.skip("no Docker engine on this machine")
    f = tmp_path / "compose.yaml"
    f.write_text(plan.compose_text)
    proc = subprocess.run([docker, "compose", "-f", str(f), "config", "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr

"""Every rendered collector variant passes `otelcol-vibes validate`; the rendered configs say what
the requirements say (loopback binds, memory_limiter first, persistent queues)."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from vibes_observe.clients.logstore import IMPORTED_MARKER
from vibes_stack import binaries, collector_pricing, config
from vibes_stack.render import render_native

VARIANTS = {
    "defaults": {},
    "bearer_auth_and_sampling": {"collector": {"bearer_token_auth": True}, "sampling": {"traces_percent": 25}},
    "console_and_file": {"exports": {"traces": ["jaeger", {"type": "console", "verbosity": "detailed"}],
                                     "metrics": ["prometheus", "file"], "logs": ["loki", {"type": "file", "path": "/tmp/x.jsonl"}]}},
    "otlp_grpc_and_http": {"exports": {
        "traces": [{"type": "otlp", "endpoint": "otel.example.com:4317", "headers_env": {"authorization": "OTLP_AUTH"}}],
        "metrics": ["prometheus", {"type": "otlp", "protocol": "http", "endpoint": "https://otel.example.com:4318",
                                   "headers": {"x-tenant": "team-a"}}],
        "logs": [{"type": "otlp", "protocol": "grpc", "endpoint": "127.0.0.1:5317", "insecure": True}]}},
    "datadog": {"exports": {"traces": ["jaeger", {"type": "datadog", "site": "datadoghq.eu"}],
                            "metrics": ["prometheus", "datadog"], "logs": [{"type": "datadog", "api_key_env": "MY_DD_KEY"}]}},
    "newrelic": {"exports": {"traces": ["newrelic"], "metrics": ["newrelic"], "logs": ["newrelic", "loki"]}},
}

FAKE_BINARIES = {"collector": "/bin/otelcol", "jaeger": "/bin/jaeger", "prometheus": "/bin/prometheus",
                 "alertmanager": "/bin/alertmanager", "victorialogs": "/bin/victoria-logs", "loki": None,
                 "grafana": None}


def _collector_yaml(user: dict, tmp_path) -> tuple[str, str]:
    cfg = config.build(user)
    plan = render_native(cfg, tmp_path / "state", FAKE_BINARIES)
    (path, text), = plan.components["collector"].files.items()
    return path, text


@pytest.fixture(scope="module")
def otelcol() -> str:
    path, source = binaries.find("collector")
    assert path, ("the collector binary is missing: run `python -m vibes_stack binaries` "
                  "(make test does) — this test must not be skipped")
    return path


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_passes_otelcol_validate(name, tmp_path, otelcol):
    _, text = _collector_yaml(VARIANTS[name], tmp_path)
    f = tmp_path / f"{name}.yaml"
    f.write_text(text)
    proc = subprocess.run([otelcol, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60,
                          env={"PATH": "/usr/bin:/bin", "OTLP_AUTH": "Bearer x", "DD_API_KEY": "k",
                               "MY_DD_KEY": "k", "NEW_RELIC_LICENSE_KEY": "k"})
    assert proc.returncode == 0, f"{name}: otelcol validate failed:\n{proc.stderr}\n--- config:\n{text}"


def test_a_broken_config_is_rejected_by_validate(tmp_path, otelcol):
    """The validate step really checks: an unknown exporter field fails it."""
    _, text = _collector_yaml({}, tmp_path)
    doc = yaml.safe_load(text)
    doc["exporters"]["otlp_grpc/jaeger"]["no_such_field"] = 1
    f = tmp_path / "broken.yaml"
    f.write_text(yaml.safe_dump(doc))
    proc = subprocess.run([otelcol, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and "no_such_field" in proc.stderr


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_variant_structure(name, tmp_path):
    _, text = _collector_yaml(VARIANTS[name], tmp_path)
    doc = yaml.safe_load(text)
    for signal, pipe in doc["service"]["pipelines"].items():
        assert pipe["processors"][0] == "memory_limiter", signal
        assert "redaction" in pipe["processors"] and pipe["processors"][-1] == "batch"
        assert ("probabilistic_sampler" in pipe["processors"]) == (signal == "traces")
    for proto in doc["receivers"]["otlp"]["protocols"].values():
        assert proto["endpoint"].startswith("127.0.0.1:")
    for exp_name, body in doc["exporters"].items():
        if exp_name.startswith(("otlp_grpc/", "otlp_http/")):
            assert body["sending_queue"]["storage"] == "file_storage/queue", exp_name
            assert body["retry_on_failure"]["enabled"] is True
    assert "sk-" not in text.replace("sk-[A-Za-z0-9_-]", "")  # no secret values, only the pattern
    assert "${env:" in text if name in ("datadog", "newrelic") else True


def test_secrets_come_from_env_only(tmp_path):
    _, text = _collector_yaml(VARIANTS["datadog"], tmp_path)
    doc = yaml.safe_load(text)
    assert doc["exporters"]["otlp_http/datadog_logs"]["headers"] == {"dd-api-key": "${env:MY_DD_KEY}"}
    assert doc["exporters"]["otlp_http/datadog_traces"]["headers"] == {"dd-api-key": "${env:DD_API_KEY}"}
    assert doc["exporters"]["otlp_http/datadog_traces"]["endpoint"] == "https://api.datadoghq.eu/api/intake/otlp"


def test_native_logs_without_loki_go_to_victorialogs(tmp_path):
    cfg = config.build({"retention": {"logs": "3d"}, "victorialogs": {"memory_limit_mib": 300}})
    plan = render_native(cfg, tmp_path / "state", FAKE_BINARIES)
    doc = yaml.safe_load(next(iter(plan.components["collector"].files.values())))
    assert doc["service"]["pipelines"]["logs"]["exporters"] == ["otlp_http/victorialogs"]
    exporter = doc["exporters"]["otlp_http/victorialogs"]
    assert exporter["logs_endpoint"] == "http://127.0.0.1:9428/insert/opentelemetry/v1/logs"
    assert exporter["headers"] == {"VL-Stream-Fields": "service.name,deployment.environment.name"}
    assert exporter["sending_queue"]["storage"] == "file_storage/queue"
    vl = plan.components["victorialogs"]
    assert vl.argv[0] == "/bin/victoria-logs" and "-httpListenAddr=127.0.0.1:9428" in vl.argv
    assert "-retentionPeriod=72h" in vl.argv and "-memory.allowedBytes=150MiB" in vl.argv
    assert vl.env == {"GOMEMLIMIT": "300MiB"}
    assert vl.health_url == "http://127.0.0.1:9428/health"
    assert [c.name for c in plan.ordered()].index("victorialogs") < [c.name for c in plan.ordered()].index("collector")
    assert any("Loki is absent, so logs go to VictoriaLogs" in n for n in plan.notices)


def test_victorialogs_refuses_a_retention_under_a_day(tmp_path):
    with pytest.raises(config.StackConfigError, match="retention.logs: '12h' is shorter than VictoriaLogs' minimum"):
        render_native(config.build({"retention": {"logs": "12h"}}), tmp_path / "state", FAKE_BINARIES)


def test_an_old_file_store_is_named_until_imported(tmp_path):
    store = tmp_path / "state" / "data" / "logs"
    store.mkdir(parents=True)
    (store / "logs.jsonl").write_text("{}\n")
    plan = render_native(config.build({}), tmp_path / "state", FAKE_BINARIES)
    assert any(str(store) in n and "vibes observe logs import" in n for n in plan.notices)
    (store / IMPORTED_MARKER).write_text("done\n")
    plan = render_native(config.build({}), tmp_path / "state", FAKE_BINARIES)
    assert not any("vibes observe logs import" in n for n in plan.notices)


def test_jaeger_and_prometheus_follow_the_config(tmp_path):
    cfg = config.build({"retention": {"traces": "3d", "metrics": "30d"}, "intervals": {"scrape": "5s"}})
    plan = render_native(cfg, tmp_path / "state", FAKE_BINARIES)
    jaeger = yaml.safe_load(next(iter(plan.components["jaeger"].files.values())))
    badger = jaeger["extensions"]["jaeger_storage"]["backends"]["badger_store"]["badger"]
    assert badger["ttl"]["spans"] == "72h" and badger["ephemeral"] is False
    assert jaeger["service"]["telemetry"]["metrics"]["readers"][0]["pull"]["exporter"]["prometheus"]["port"] == 8887
    prom = plan.components["prometheus"]
    assert "--storage.tsdb.retention.time=30d" in prom.argv and "--web.enable-lifecycle" in prom.argv
    prom_yml = yaml.safe_load(prom.files[[p for p in prom.files if p.endswith("prometheus.yml")][0]])
    assert prom_yml["global"]["scrape_interval"] == "5s"
    jobs = {j["job_name"]: j for j in prom_yml["scrape_configs"]}
    assert jobs["otel-collector-exporter"]["honor_labels"] is True
    assert set(jobs) >= {"otel-collector", "jaeger", "alertmanager", "prometheus", "victorialogs"}
    am = plan.components["alertmanager"]
    assert "--cluster.listen-address=" in am.argv


def test_native_jaeger_config_passes_jaeger_validate(tmp_path):
    jaeger, _ = binaries.find("jaeger")
    assert jaeger, "jaeger binary missing: run `python -m vibes_stack binaries`"
    plan = render_native(config.build({}), tmp_path / "state", FAKE_BINARIES)
    (path, text), = plan.components["jaeger"].files.items()
    f = tmp_path / "jaeger.yaml"
    f.write_text(text)
    proc = subprocess.run([jaeger, "validate", f"--config={f}"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "127.0.0.1:" in text and "0.0.0.0" not in text


def test_native_loki_and_grafana_are_used_when_their_binaries_exist(tmp_path):
    cfg = config.build({})
    plan = render_native(cfg, tmp_path / "state", {**FAKE_BINARIES, "loki": "/opt/loki/loki",
                                                    "grafana": "/opt/grafana/bin/grafana"})
    col = yaml.safe_load(next(iter(plan.components["collector"].files.values())))
    assert col["service"]["pipelines"]["logs"]["exporters"] == ["otlp_http/loki"]
    assert col["exporters"]["otlp_http/loki"]["endpoint"] == "http://127.0.0.1:3100/otlp"
    loki = yaml.safe_load(next(iter(plan.components["loki"].files.values())))
    assert loki["server"]["http_listen_address"] == "127.0.0.1" and loki["compactor"]["retention_enabled"]
    graf = plan.components["grafana"]
    assert graf.argv[:2] == ["/opt/grafana/bin/grafana", "server"]
    assert graf.env["GF_SERVER_HTTP_ADDR"] == "127.0.0.1" and graf.env["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
    dash = yaml.safe_load(next(t for p, t in graf.files.items() if p.endswith("dashboards/vibes.yaml")))
    assert dash["providers"][0]["options"]["path"].endswith("/dashboards")
    assert not any("absent" in n for n in plan.notices)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_each_span_is_priced_and_counted_by_one_pipeline_before_any_sampling(name, tmp_path):
    doc = yaml.safe_load(_collector_yaml(VARIANTS[name], tmp_path)[1])
    pipes = doc["service"]["pipelines"]
    connector, = pipes["metrics/vibes_cost"]["receivers"]
    feeding = [p for p in pipes.values() if connector in p["exporters"]]
    assert len(feeding) == 1, "a span would be counted twice (or never)"
    fed, = feeding
    assert fed["receivers"] == ["otlp"] and collector_pricing.PROCESSOR in fed["processors"]
    if "probabilistic_sampler" in fed["processors"]:  # only where it keeps every span
        assert doc["processors"]["probabilistic_sampler"]["sampling_percentage"] >= 100
    sampled = VARIANTS[name].get("sampling", {}).get("traces_percent", 100) < 100
    assert ("traces/vibes_cost" in pipes) == sampled  # a second pass over every span only when needed


def test_the_stacks_own_backends_get_uncompressed_batches_remote_targets_keep_the_defaults(tmp_path):
    doc = yaml.safe_load(_collector_yaml(VARIANTS["defaults"], tmp_path)[1])
    for local in ("otlp_grpc/jaeger", "otlp_http/victorialogs"):
        assert doc["exporters"][local]["compression"] == "none" and doc["exporters"][local]["timeout"] == "60s"
    doc = yaml.safe_load(_collector_yaml(VARIANTS["datadog"], tmp_path / "dd")[1])
    remote = doc["exporters"]["otlp_http/datadog_traces"]
    assert "compression" not in remote and "timeout" not in remote


def test_jaegers_heap_limit_comes_from_the_stack_config(tmp_path):
    plan = render_native(config.build({"jaeger": {"memory_limit_mib": 200}}), tmp_path / "state", FAKE_BINARIES)
    assert plan.components["jaeger"].env == {"GOMEMLIMIT": "200MiB"}

"""The multi-host collector tiers (collector-gateway, collector-agent, gateway-watch) rendered for
fleet hosts (HostPlacement), and what a fleet's Prometheus does for them."""
from __future__ import annotations

import subprocess

import pytest
import yaml

from vibes_sdk import names
from vibes_stack import binaries, collector_pricing, config, paths
from vibes_stack.components import HostPlacement, collector, collector_agent, collector_gateway, gateway_watch
from vibes_stack.components import prometheus
from vibes_stack.config import StackConfigError
from vibes_stack.gateway_watch import GATEWAYS_NAME

AGENT, GATEWAYS, STORAGE = "10.9.0.10", ["10.9.0.13", "10.9.0.14"], "10.9.0.15"
PEERS = {collector_gateway.NAME: GATEWAYS, collector_agent.NAME: [AGENT], gateway_watch.NAME: [AGENT],
         **{c: [STORAGE] for c in ("jaeger", "prometheus", "victorialogs", "alertmanager", "alert-receiver")}}
BINARIES = {"collector": "/bin/otelcol", "prometheus": "/bin/prometheus"}


def _place(cfg, tmp_path, address: str, peers=PEERS) -> HostPlacement:
    return HostPlacement(cfg, paths.StateLayout(tmp_path / address), BINARIES, address=address, peers=peers)


def _body(spec, suffix: str = "otelcol.yaml") -> dict:
    return yaml.safe_load(next(text for path, text in spec.files.items() if path.endswith(suffix)))


def test_agent_listens_on_loopback_and_routes_to_the_watched_gateway_name(tmp_path):
    cfg = config.build({})
    spec = collector_agent.spec(cfg, _place(cfg, tmp_path, AGENT))
    body = _body(spec)
    for protocol in body["receivers"]["otlp"]["protocols"].values():
        assert protocol["endpoint"].startswith("127.0.0.1:")
    assert spec.health_url.startswith(f"http://{AGENT}:")  # the deploy checks it from elsewhere
    by_trace = body["exporters"][collector_agent.BY_TRACE]
    assert by_trace["routing_key"] == "traceID"
    assert by_trace["resolver"]["dns"]["hostname"] == GATEWAYS_NAME
    assert by_trace["sending_queue"]["storage"] == collector.QUEUE  # persistent, and it re-routes
    assert by_trace["protocol"]["otlp"]["sending_queue"] == {"enabled": False}
    pipelines = body["service"]["pipelines"]
    assert {s: pipelines[s]["exporters"] for s in ("traces", "metrics", "logs")} == {
        "traces": [collector_agent.BY_TRACE], "metrics": [collector_agent.BY_RESOURCE],
        "logs": [collector_agent.BY_TRACE]}
    assert all(p["processors"][0] == "memory_limiter" for p in pipelines.values())
    assert all("batch" not in p["processors"] for p in pipelines.values())  # no unqueued buffer


def test_agent_counts_the_ledger_from_every_span_and_ships_cumulative_points_per_host(tmp_path):
    cfg = config.build({"sampling": {"traces_percent": 10}})
    body = _body(collector_agent.spec(cfg, _place(cfg, tmp_path, AGENT)))
    pipelines = body["service"]["pipelines"]
    ledger = pipelines["traces/vibes_cost"]
    assert collector_pricing.PROCESSOR in ledger["processors"] and ledger["exporters"] == [collector_pricing.CONNECTOR]
    assert not any("sampl" in p for p in ledger["processors"])
    counters = pipelines["metrics/vibes_cost"]
    assert counters["receivers"] == [collector_pricing.CONNECTOR]
    assert "deltatocumulative/vibes_cost" in counters["processors"]  # cumulative: a re-send is idempotent
    assert counters["exporters"] == [collector_agent.BY_RESOURCE]
    (statement,) = body["processors"]["transform/vibes_host"]["metric_statements"][0]["statements"]
    assert statement == f'set(attributes["{names.VIBES_COLLECTOR_HOST}"], "{AGENT}")'


def test_gateway_tail_samples_counts_nothing_and_queues_every_exporter(tmp_path):
    cfg = config.build({"sampling": {"traces_percent": 10, "keep_costlier_than_usd": 2}})
    body = _body(collector_gateway.spec(cfg, _place(cfg, tmp_path, GATEWAYS[0])))
    pipelines = body["service"]["pipelines"]
    assert pipelines["traces"]["processors"][-1] == "tail_sampling"
    assert collector_pricing.PROCESSOR in pipelines["traces"]["processors"]  # the "expensive" policy reads it
    assert set(pipelines) == {"traces", "metrics", "logs"}  # the agents count the ledger
    assert "connectors" not in body
    assert all("batch" not in p["processors"] for p in pipelines.values())
    for name, exporter in body["exporters"].items():
        assert exporter.get("sending_queue", {}).get("storage") == collector.QUEUE or "wal" in exporter, name
        # decided traces leave tail_sampling one by one: merged after the queue, not one request each
        assert exporter.get("sending_queue", {}).get("batch", collector.QUEUE_BATCH) == collector.QUEUE_BATCH, name
    assert body["exporters"][collector_gateway.REMOTE_WRITE]["endpoint"].startswith(f"http://{STORAGE}:")
    assert body["exporters"]["otlp_grpc/jaeger"]["endpoint"].startswith(f"{STORAGE}:")
    policies = {p["name"]: p for p in body["processors"]["tail_sampling"]["policies"]}
    assert policies["share"]["probabilistic"]["sampling_percentage"] == 10
    assert policies["expensive"]["ottl_condition"]["span"] == [f'attributes["{names.VIBES_COST_USD}"] >= 2.0']
    assert body["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"].startswith(f"{GATEWAYS[0]}:")


def test_the_watcher_probes_every_gateway_and_answers_at_its_host(tmp_path):
    cfg = config.build({})
    spec = gateway_watch.spec(cfg, _place(cfg, tmp_path, AGENT))
    assert [spec.argv[i + 1] for i, a in enumerate(spec.argv) if a == "--gateway"] == GATEWAYS
    assert spec.health_url == f"http://{AGENT}:{cfg.ports.gateway_watch}/"


def test_a_watcher_without_gateways_is_a_config_error_naming_them(tmp_path):
    cfg = config.build({})
    with pytest.raises(StackConfigError, match=f"vibes_components: .*{collector_gateway.NAME}"):
        gateway_watch.spec(cfg, _place(cfg, tmp_path, AGENT, peers={}))


def test_a_fleet_prometheus_takes_the_gateways_remote_write_and_scrapes_every_tier(tmp_path):
    cfg = config.build({})
    spec = prometheus.spec(cfg, _place(cfg, tmp_path, STORAGE))
    assert "--web.enable-remote-write-receiver" in spec.argv
    body = _body(spec, "prometheus.yml")
    assert body["storage"]["tsdb"]["out_of_order_time_window"] == prometheus.OUT_OF_ORDER_WINDOW
    (job,) = [j for j in body["scrape_configs"] if j["job_name"] == "otel-collector"]
    port = cfg.ports.collector_metrics
    assert job["static_configs"][0]["targets"] == [f"{a}:{port}" for a in [AGENT, *GATEWAYS]]
    no_gateways = prometheus.spec(cfg, _place(cfg, tmp_path, STORAGE, peers={c: [STORAGE] for c in (
        "prometheus", "alertmanager", "alert-receiver")}))
    assert "--web.enable-remote-write-receiver" not in no_gateways.argv
    assert "storage" not in _body(no_gateways, "prometheus.yml")


@pytest.mark.parametrize("key, value", [("keep_slower_than", "soon"), ("keep_costlier_than_usd", -1),
                                        ("decision_wait", "0s"), ("keep_costlier_than_usd", True)])
def test_bad_sampling_thresholds_name_their_key(key, value):
    with pytest.raises(StackConfigError, match=f"sampling.{key}"):
        config.build({"sampling": {key: value}})


@pytest.mark.parametrize("tier, address", [(collector_agent, AGENT), (collector_gateway, GATEWAYS[0])])
def test_each_tier_config_passes_otelcol_validate(tier, address, tmp_path):
    otelcol, _ = binaries.find("collector")
    assert otelcol, "the collector binary is missing: run `python -m vibes_stack binaries` (never skipped)"
    cfg = config.build({"sampling": {"traces_percent": 10}})
    (text,) = tier.spec(cfg, _place(cfg, tmp_path, address)).files.values()
    path = tmp_path / "otelcol.yaml"
    path.write_text(text)
    done = subprocess.run([otelcol, "validate", f"--config={path}"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr

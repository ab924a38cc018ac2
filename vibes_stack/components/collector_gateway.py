"""collector-gateway (multi-host tier): the single-host collector config in role ``gateway``.

The same redaction, limits and pricing transform on the spans the agents route here (by trace
ID, so a trace lands whole), then ``tail_sampling`` (errors, slow, expensive, and
``sampling.traces_percent`` of the rest) instead of the probabilistic sampler. No ledger here:
the agents count the token/cost counters from each span once as it arrives from their SDKs
(collector_agent.py), which is also before sampling and stays exact when a gateway failover
makes an agent re-send a batch. No batch processor: a batch buffer is acknowledged data a
SIGKILL loses; every exporter writes a persistent queue before the receiver answers (remote
write: its write-ahead log), and merges requests as it reads them from the queue. Metrics go to the metrics hosts' remote-write endpoint.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vibes_sdk import names

from . import collector
from .base import Component, ComponentSpec, Placement, yaml_block

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "collector-gateway"
REMOTE_WRITE = "prometheusremotewrite"
REMOTE_WRITE_PATH = "/api/v1/write"
PULL_EXPORTER = "prometheus"  # the single host's scrape endpoint: a gateway pushes instead
#: kept traces whose spans reach a gateway after its decision (another host was slower) stay kept
DECIDED_TRACES_CACHED = 100_000


def tail_sampling(cfg: StackConfig) -> dict[str, Any]:
    """The tail_sampling body: any policy that keeps a trace keeps it whole."""
    sampling = cfg.sampling
    return {
        "decision_wait": f"{int(sampling.decision_wait.seconds * 1000)}ms",
        "num_traces": DECIDED_TRACES_CACHED,
        "decision_cache": {"sampled_cache_size": DECIDED_TRACES_CACHED},
        "policies": [
            {"name": "errors", "type": "status_code", "status_code": {"status_codes": ["ERROR"]}},
            {"name": "slow", "type": "latency",
             "latency": {"threshold_ms": int(sampling.keep_slower_than.seconds * 1000)}},
            {"name": "expensive", "type": "ottl_condition",
             "ottl_condition": {"error_mode": "ignore", "span": [
                 f'attributes["{names.VIBES_COST_USD}"] >= {float(sampling.keep_costlier_than_usd)!r}']}},
            {"name": "share", "type": "probabilistic",
             "probabilistic": {"sampling_percentage": float(sampling.traces_percent)}},
        ],
    }


def remote_write(cfg: StackConfig, place: Placement) -> dict[str, Any]:
    return {"endpoint": f"http://{place.reach('prometheus')}:{cfg.ports.prometheus}{REMOTE_WRITE_PATH}",
            "resource_to_telemetry_conversion": {"enabled": False},
            "retry_on_failure": collector.queued_export(cfg)["retry_on_failure"],
            # its persistent queue: written before the pipeline returns, exported every second
            "wal": {"directory": f"{place.data(NAME)}/remote_write_wal", "buffer_size": 100,
                    "truncate_frequency": "1s"}}


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    ports = cfg.ports
    # tail_sampling hands on each decided trace as its own tiny request: without merging them the
    # queue (counted in requests) filled at 250 traces/s and refused decided traces (lost)
    bodies, pipelines, notices = collector.exporters(cfg, place, export_dir=f"{place.data(NAME)}/export",
                                                     batched=True)
    bodies.pop(PULL_EXPORTER, None)
    bodies[REMOTE_WRITE] = yaml_block(remote_write(cfg, place))
    pipelines["metrics"] = [REMOTE_WRITE] + [n for n in pipelines.get("metrics", []) if n != PULL_EXPORTER]
    config, seen_config = place.config_file(NAME, "otelcol.yaml")
    text = collector.config_text(cfg, place, NAME, bodies, pipelines, role="gateway",
                                 tail_sampling=yaml_block(tail_sampling(cfg)))
    data = place.state.data / NAME
    return ComponentSpec(
        NAME, [*place.executable(collector.NAME), f"--config={seen_config}"],
        health_url=place.url(ports.collector_health, "/"),
        url=f"{place.public_host}:{ports.collector_otlp_grpc} (OTLP gRPC, from the agents)",
        files={config: text}, dirs=[str(data / "queue"), str(data / "remote_write_wal")], notices=notices)


COMPONENT = Component(NAME, spec, after=("jaeger", "victorialogs", "prometheus"), fleet_only=True)

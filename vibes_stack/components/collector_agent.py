"""collector-agent (multi-host tier, every app host): the collector config in role ``agent``.

OTLP on 127.0.0.1 only (this host's SDKs), memory_limiter, then the contrib ``load_balancing``
exporter behind a persistent ``file_storage`` queue. Traces and logs are routed by trace ID (a
trace and its logs land whole on one gateway); metrics by resource, so every series of one
process has one gateway at a time. Backends come from the ``dns`` resolver over the name the
host's gateway watcher (gateway_watch.py) keeps to the healthy gateways: a static list keeps a
dead gateway's share waiting, a resolved list moves it to the survivor and back (upstream
README, "resiliency"). The top-level queue + retries re-route a failed batch once the list
changed; the per-endpoint queue and retries are off, so nothing sticks to a dead endpoint.

The ledger (the pricing transform, its signal_to_metrics connector, deltatocumulative) runs
HERE, not on the gateways: the load_balancing exporter fails a whole batch when one endpoint
fails and the queue re-sends it, so a gateway may see a span twice (at-least-once delivery). An
agent sees each span once, from its SDK; it counts before any sampling, and ships cumulative
points, which a re-send cannot double.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from vibes_sdk import names

from ..gateway_watch import GATEWAYS_NAME
from . import collector, collector_gateway
from .base import Component, ComponentSpec, Placement, yaml_block

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "collector-agent"
BY_TRACE = "load_balancing/by_trace"        # traces and logs
BY_RESOURCE = "load_balancing/by_resource"  # metrics
RESOLVER_INTERVAL = "1s"
#: one export to a gateway may take this long before it is retried. Well above a gateway's worst
#: pipeline time (memory_limiter refusals and queue writes answer at once): a request that timed
#: out while the gateway still processed it is stored there AND re-sent (a duplicate).
EXPORT_TIMEOUT = "60s"
LOCAL = "127.0.0.1"  # the SDKs of this host are the only senders


def load_balancing(cfg: StackConfig, routing_key: str) -> dict[str, Any]:
    return {"routing_key": routing_key,
            **collector.queued_export(cfg),  # resiliency option 1: the top-level queue re-routes
            "protocol": {"otlp": {"tls": {"insecure": True}, "timeout": EXPORT_TIMEOUT,
                                  "sending_queue": {"enabled": False},
                                  "retry_on_failure": {"enabled": False}}},
            "resolver": {"dns": {"hostname": GATEWAYS_NAME, "port": str(cfg.ports.collector_otlp_grpc),
                                 "interval": RESOLVER_INTERVAL, "timeout": "1s"}}}


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    ports = cfg.ports
    bodies = {BY_TRACE: yaml_block(load_balancing(cfg, "traceID")),
              BY_RESOURCE: yaml_block(load_balancing(cfg, "resource"))}
    pipelines = {"traces": [BY_TRACE], "metrics": [BY_RESOURCE], "logs": [BY_TRACE]}
    config, seen_config = place.config_file(NAME, "otelcol.yaml")
    text = collector.config_text(cfg, place, NAME, bodies, pipelines, role="agent", otlp_listen=LOCAL,
                                 host_attribute=names.VIBES_COLLECTOR_HOST, host_name=place.public_host)
    return ComponentSpec(
        NAME, [*place.executable(collector.NAME), f"--config={seen_config}"],
        health_url=place.url(ports.collector_health, "/"),
        url=f"{LOCAL}:{ports.collector_otlp_grpc} (OTLP gRPC, this host's SDKs) → {GATEWAYS_NAME} "
            f"({', '.join(place.placed(collector_gateway.NAME))})",
        files={config: text}, dirs=[str(place.state.data / NAME / "queue")])


COMPONENT = Component(NAME, spec, after=("gateway-watch",), fleet_only=True)

"""jaeger: trace storage (badger on disk, or a Cassandra cluster in a fleet) and query API."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import cassandra
from .base import Component, ComponentSpec, Placement, template

if TYPE_CHECKING:
    from ..config import Duration, StackConfig

NAME = "jaeger"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    config, seen_config = place.config_file(NAME, "jaeger.yaml")
    data = place.data(NAME)
    host_data = place.state.data / NAME
    storage_nodes = place.placed(cassandra.NAME)
    if storage_nodes:  # a fleet with clustered trace storage: stateless, any number of these share it
        ts = cfg.trace_storage
        text = cassandra_config(listen=place.listen, ports=dict(cfg.ports), servers=storage_nodes,
                                native_port=cfg.ports.cassandra_native, keyspace=ts.keyspace,
                                replication_factor=ts.replication_factor, retention=cfg.retention.traces)
        dirs = []
        timeout = cassandra.START_TIMEOUT_S  # creating the schema took 16-47 s measured, more under load
    else:
        text = template("jaeger.yaml.j2", listen=place.listen, ports=cfg.ports, **_retention(cfg.retention.traces),
                        paths={"jaeger_keys": f"{data}/keys", "jaeger_values": f"{data}/values"})
        dirs = [str(host_data / "keys"), str(host_data / "values")]
        timeout = None
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"--config={seen_config}"],
        health_url=place.url(cfg.ports.jaeger_health, "/status"), url=place.url(cfg.ports.jaeger_query),
        env={"GOMEMLIMIT": f"{cfg.jaeger.memory_limit_mib}MiB"},
        files={config: text}, dirs=dirs, health_timeout=timeout,
        published=[cfg.ports.jaeger_query, cfg.ports.jaeger_health, cfg.ports.jaeger_metrics])


def cassandra_config(*, listen: str, ports: dict[str, int], servers: list[str], native_port: int, keyspace: str,
                     replication_factor: int, retention: Duration, consistency: str = "LOCAL_ONE") -> str:
    """Jaeger v2's config on a Cassandra cluster (stack/templates/jaeger-cassandra.yaml.j2)."""
    return template("jaeger-cassandra.yaml.j2", listen=listen, ports=ports, **_retention(retention),
                    cassandra={"servers": servers, "port": native_port, "keyspace": keyspace,
                               "replication_factor": replication_factor, "consistency": consistency})


def _retention(retention: Duration) -> dict:
    """How long Jaeger keeps a trace, and the age past which it refuses a span: the same length, so a
    span is never stored only to be expired at once."""
    return {"retention_go": {"traces": retention.go}, "too_old_ns": int(retention.seconds * 10**9)}


COMPONENT = Component(NAME, spec, after=(cassandra.NAME,), executables=("jaeger",), memory_limit="1g")

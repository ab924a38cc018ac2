"""victorialogs: the native log database, in Loki's place when no Loki binary is present."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import StackConfigError
from .base import Absent, Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "victorialogs"
#: its stream fields (its index): few, bounded values. Other resource attributes (instance ids,
#: pids) are stored as plain fields, so they do not multiply streams.
STREAM_FIELDS = ("service.name", "deployment.environment.name")
OTLP_PATH = "/insert/opentelemetry/v1/logs"
MIN_RETENTION_S = 86400  # its partitions are days: shorter retention is refused at start


def wanted(cfg: StackConfig, place: Placement) -> bool:
    """Logs are exported to "loki" and no Loki runs here."""
    return not place.available("loki") and any(t.kind == "loki" for t in cfg.exports.logs)


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
    if not wanted(cfg, place):
        return Absent()
    executable = place.executable(NAME)
    if cfg.retention.logs.seconds < MIN_RETENTION_S:
        raise StackConfigError(f"retention.logs: {cfg.retention.logs!r} is shorter than VictoriaLogs' "
                               "minimum of 24h")
    port, mem = cfg.ports.victorialogs, cfg.victorialogs.memory_limit_mib
    data = place.data(NAME)
    return ComponentSpec(
        NAME, [*executable, f"-storageDataPath={data}", f"-httpListenAddr={place.listen}:{port}",
               f"-retentionPeriod={cfg.retention.logs.go}", f"-memory.allowedBytes={max(1, mem // 2)}MiB",
               # acknowledged data reaches disk within 1 s (its minimum; default 5 s): what a
               # SIGKILL can take is bounded by this, the collector queue covers the rest
               "-inmemoryDataFlushInterval=1s",
               "-defaultMsgValue="],  # a record without a body keeps an empty message, not a URL
        env={"GOMEMLIMIT": f"{mem}MiB"},
        health_url=place.url(port, "/health"), url=place.url(port) + " (LogsQL: /select/logsql/query)",
        dirs=[str(place.state.data / NAME)], published=[port])


COMPONENT = Component(NAME, spec, executables=("victoria-logs",))

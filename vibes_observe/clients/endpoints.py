"""Where the backends live: flags > environment > the local stack's default ports.

Default ports are the ones in docs/CONTRACTS.md (all on 127.0.0.1)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORTS = {"prometheus": 9090, "jaeger": 16686, "alertmanager": 9093, "loki": 3100, "victorialogs": 9428}
ENV_VARS = {
    "prometheus": "VIBES_PROMETHEUS_URL",
    "jaeger": "VIBES_JAEGER_URL",
    "alertmanager": "VIBES_ALERTMANAGER_URL",
    "loki": "VIBES_LOKI_URL",
    "victorialogs": "VIBES_VICTORIALOGS_URL",
}


def state_dir() -> Path:
    """The stack's state directory (``${VIBES_HOME:-~/.local/share/vibes-observe}``)."""
    home = os.environ.get("VIBES_HOME")
    return Path(home).expanduser() if home else Path.home() / ".local/share/vibes-observe"


def default_url(backend: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[backend]}"


@dataclass(frozen=True)
class Endpoints:
    prometheus: str
    jaeger: str
    alertmanager: str
    loki: str
    victorialogs: str
    loki_explicit: bool  # set by flag/env: then Loki is required, not probed
    victorialogs_explicit: bool
    log_dir: Path  # the old native file store (OTLP-JSON files): read only by `logs import`/`--source files`

    @classmethod
    def resolve(cls, *, prometheus: str | None = None, jaeger: str | None = None,
                alertmanager: str | None = None, loki: str | None = None,
                victorialogs: str | None = None, log_dir: str | None = None) -> "Endpoints":
        given = {"prometheus": prometheus, "jaeger": jaeger,
                 "alertmanager": alertmanager, "loki": loki, "victorialogs": victorialogs}
        urls = {}
        for backend, flag in given.items():
            urls[backend] = (flag or os.environ.get(ENV_VARS[backend]) or default_url(backend)).rstrip("/")
        explicit = {b: bool(given[b] or os.environ.get(ENV_VARS[b])) for b in ("loki", "victorialogs")}
        logs = log_dir or os.environ.get("VIBES_LOG_DIR") or str(state_dir() / "data" / "logs")
        return cls(loki_explicit=explicit["loki"], victorialogs_explicit=explicit["victorialogs"],
                   log_dir=Path(logs).expanduser(), **urls)

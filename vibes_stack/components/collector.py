"""collector: OTLP in; traces, metrics and logs out to the export targets of the stack config."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import yaml

from vibes_observe.clients.logstore import pending_import
from vibes_sdk import names

from .. import collector_pricing as cp
from .. import paths
from . import loki, victorialogs
from .base import SAFE_LOADER, Component, ComponentSpec, Placement, template, yaml_block

if TYPE_CHECKING:
    from ..config import StackConfig, Target

NAME = "collector"
TOKEN = "otlp_token"  # the OTLP bearer token's secret file (when bearer_token_auth)
#: exporters to the stack's own backends (same host or network): gzip there costs both ends CPU
#: and saves no scarce bandwidth. A backend writes a whole batch before it answers, and on a busy
#: host that took longer than the default 5 s: the timed-out batch was retried while the backend
#: still wrote the first copy, which slowed it further (10 writes per span acknowledged, measured).
#: Remote targets keep the defaults (stack/README.md, Ingest).
LOCAL = {"compression": "none", "timeout": "60s"}
QUEUE = "file_storage/queue"  # the persistent queue every exporter writes before it sends


def pricing() -> dict[str, Any]:
    """The committed, generated pricing processor + connector (stack/collector/pricing.yaml)."""
    body = yaml.load((paths.REPO_ROOT / cp.ARTIFACT).read_text("utf-8"), Loader=SAFE_LOADER)
    return {"processor": cp.PROCESSOR, "connector": cp.CONNECTOR,
            "processors": {k: yaml_block(v) for k, v in body["processors"].items()},
            "connectors": {k: yaml_block(v) for k, v in body["connectors"].items()}}


#: requests merged as they leave a queue (``queued_export(batched=True)``)
QUEUE_BATCH = {"flush_timeout": "200ms", "min_size": 1000, "max_size": 5000, "sizer": "items"}


def queued_export(cfg: StackConfig, queue: str = QUEUE, *, batched: bool = False) -> dict[str, Any]:
    """An exporter's persistent sending queue (file_storage ``queue``) and its retries; ``batched``
    merges small requests as they are read from the queue (after they were persisted)."""
    col = cfg.collector
    sending = {"enabled": True, "storage": queue, "queue_size": col.queue_size}
    return {"sending_queue": {**sending, **({"batch": QUEUE_BATCH} if batched else {})},
            "retry_on_failure": {"enabled": True, "initial_interval": "1s", "max_interval": "10s",
                                 "max_elapsed_time": str(col.retry_max_elapsed)}}


def exporters(cfg: StackConfig, place: Placement, *, export_dir: str, queue: str = QUEUE, batched: bool = False
              ) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """Exporter bodies (name → YAML), per-signal exporter names and notices, from ``exports``."""
    queued = queued_export(cfg, queue, batched=batched)
    bodies: dict[str, dict] = {}
    pipelines: dict[str, list[str]] = {}
    notices: list[str] = []
    for signal, targets in cfg.exports.by_signal().items():
        chosen = [_exporter(cfg, place, signal, i, t, queued, export_dir, notices) for i, t in enumerate(targets)]
        bodies.update(chosen)
        pipelines[signal] = [name for name, _ in chosen]
    return {n: yaml_block(b) for n, b in bodies.items()}, pipelines, notices


def _exporter(cfg: StackConfig, place: Placement, signal: str, i: int, t: Target, queued: dict,
              export_dir: str, notices: list[str]) -> tuple[str, dict]:
    ports = cfg.ports
    if t.kind == "jaeger":
        return "otlp_grpc/jaeger", {"endpoint": f"{place.reach('jaeger')}:{ports.jaeger_otlp_grpc}",
                                    "tls": {"insecure": True}, **LOCAL, **queued}
    if t.kind == "prometheus":
        return "prometheus", {"endpoint": f"{place.listen}:{ports.collector_prometheus}",
                              "enable_open_metrics": True, "resource_to_telemetry_conversion": {"enabled": False}}
    if t.kind == "loki" and place.available("loki"):
        return "otlp_http/loki", {"endpoint": loki.push_url(cfg, place) + "/otlp", **LOCAL, **queued}
    if t.kind == "loki":  # no Loki here: the native log database takes its place
        base = f"http://{place.reach(victorialogs.NAME)}:{ports.victorialogs}"
        notices.append(f"logs: Loki is absent, so logs go to VictoriaLogs ({base}), read with "
                       "`vibes observe logs`; Grafana's Loki panels stay empty")
        return "otlp_http/victorialogs", {"logs_endpoint": base + victorialogs.OTLP_PATH,
                                          "headers": {"VL-Stream-Fields": ",".join(victorialogs.STREAM_FIELDS)},
                                          **LOCAL, **queued}
    if t.kind == "console":
        return f"debug/{signal}", {"verbosity": t.verbosity}
    if t.kind == "file":
        return f"file/{signal}_{i}", _file_body(t.path or f"{export_dir}/{signal}.jsonl", cfg)
    if t.kind == "otlp":
        headers = {**t.headers, **{h: "${env:%s}" % v for h, v in t.headers_env.items()}}
        return f"otlp_{t.protocol}/{signal}_{i}", {"endpoint": t.endpoint, **({"headers": headers} if headers else {}),
                                                   **({"tls": {"insecure": True}} if t.insecure else {}), **queued}
    if t.kind == "datadog":
        return f"otlp_http/datadog_{signal}", {"endpoint": t.endpoint or f"https://api.{t.site}/api/intake/otlp",
                                               "headers": {"dd-api-key": "${env:%s}" % t.api_key_env}, **queued}
    assert t.kind == "newrelic", t.kind  # the config model admits no other kind
    return f"otlp_http/newrelic_{signal}", {"endpoint": t.endpoint,
                                            "headers": {"api-key": "${env:%s}" % t.api_key_env}, **queued}


def _file_body(path: str, cfg: StackConfig) -> dict:
    store = cfg.native_log_store
    max_days = max(1, int(cfg.retention.logs.seconds // 86400))
    return {"path": path, "format": "json", "flush_interval": "1s",
            "rotation": {"max_megabytes": store.max_megabytes, "max_days": max_days,
                         "max_backups": store.max_backups}}


def config_text(cfg: StackConfig, place: Placement, component: str, bodies: dict[str, str],
                pipelines: dict[str, list[str]], *, role: str = "single", otlp_listen: str | None = None,
                **role_context: Any) -> str:
    """The collector config (stack/templates/otelcol.yaml.j2) of ``component`` in ``role``
    (single, or a multi-host tier's agent/gateway, which add their own ``role_context``)."""
    return template("otelcol.yaml.j2", role=role, listen=place.listen, otlp_listen=otlp_listen or place.listen,
                    ports=cfg.ports, collector=cfg.collector, sampling=cfg.sampling, environment=cfg.environment,
                    redaction_patterns=names.REDACTION_PATTERNS, exporters=bodies, pipelines=pipelines,
                    pricing=pricing(), paths={"collector_queue": f"{place.data(component)}/queue",
                                              "otlp_token": place.secret(TOKEN)[1]}, **role_context)


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    ports, st = cfg.ports, place.state
    # natively file exports have lived in <state>/data/export since the first release: kept
    export_dir = str(st.data / "export") if place.native else f"{place.data(NAME)}/export"
    bodies, pipelines, notices = exporters(cfg, place, export_dir=export_dir)
    token, seen_token = place.secret(TOKEN)
    config, seen_config = place.config_file(NAME, "otelcol.yaml")
    text = config_text(cfg, place, NAME, bodies, pipelines)
    if place.native:
        old_files = pending_import(st.log_store)
        if old_files:
            notices.append(f"logs: {len(old_files)} file(s) of the old native file store in {st.log_store} are not "
                           "searched any more; `vibes observe logs import` loads them into the log database")
    auth = cfg.collector.bearer_token_auth
    host, public = place.public_host, place.url(ports.collector_otlp_http)
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"--config={seen_config}"],
        health_url=place.url(ports.collector_health, "/"),
        url=f"{public} (OTLP HTTP), {host}:{ports.collector_otlp_grpc} (gRPC)",
        files={config: text},
        dirs=[str(st.data / NAME / "queue")] + ([export_dir] if place.native else []),
        secrets=[token] if auth else [], notices=notices,
        published=[ports.collector_otlp_grpc, ports.collector_otlp_http, ports.collector_health,
                   ports.collector_metrics, ports.collector_prometheus],
        volumes=[f"{token}:{seen_token}:ro"] if auth and not place.native else [])


COMPONENT = Component(NAME, spec, after=("jaeger", loki.NAME, loki.WRITE, victorialogs.NAME),
                      executables=("otelcol-vibes",), memory_limit="512m")

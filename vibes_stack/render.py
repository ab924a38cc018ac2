"""Render every component's config files and command line from the validated stack config.

Pure: reads templates, writes nothing. The deploy writes what this returns, and a
component's ``config_hash`` (files + argv + binary) decides whether it restarts.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

from vibes_sdk import names

from . import collector_pricing as cp
from . import paths
from .config import StackConfigError, duration_seconds, target_kind


#: start order (dependencies first); stop order is the reverse.
ORDER = ("alert-receiver", "alertmanager", "jaeger", "loki", "victorialogs", "collector", "prometheus", "grafana")

#: VictoriaLogs stream fields (its index): few, bounded values. Other resource attributes
#: (instance ids, pids) are stored as plain fields, so they do not multiply streams.
VICTORIALOGS_STREAM_FIELDS = ("service.name", "deployment.environment.name")
VICTORIALOGS_OTLP_PATH = "/insert/opentelemetry/v1/logs"


@dataclass
class ComponentPlan:
    name: str
    argv: list[str]
    health_url: str
    url: str
    files: dict[str, str] = field(default_factory=dict)      # absolute path → content
    secret_files: set[str] = field(default_factory=set)      # written 0600
    dirs: list[str] = field(default_factory=list)            # created before start
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""

    @property
    def config_hash(self) -> str:
        h = hashlib.sha256()
        h.update(json.dumps({"argv": self.argv, "env": self.env}, sort_keys=True).encode())
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + self.files[path].encode() + b"\0")
        return h.hexdigest()[:16]


@dataclass
class StackPlan:
    mode: str
    state_dir: str
    components: dict[str, ComponentPlan]
    notices: list[str] = field(default_factory=list)

    def ordered(self) -> list[ComponentPlan]:
        return [self.components[n] for n in ORDER if n in self.components]


def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True)


def go_duration(value: str, key: str) -> str:
    """Go's time.ParseDuration has no d/w/y: express the retention in hours."""
    seconds = duration_seconds(value, key)
    return f"{int(seconds // 3600)}h" if seconds % 3600 == 0 else f"{int(seconds)}s"


def client_host(cfg: dict[str, Any]) -> str:
    """The address clients on this machine reach the stack at (a wildcard bind is reached on loopback)."""
    listen = cfg["bind_address"]
    return "127.0.0.1" if listen in ("0.0.0.0", "::") else listen


def alerting_outputs(cfg: dict[str, Any], receiver_url: str) -> tuple[dict[str, str], str, str]:
    """Rule files, Alertmanager YAML and the CLI's channel manifest from the alerting helper's public API."""
    try:
        from vibes_observe import alerting
    except ImportError as exc:  # the alerting package is part of this repo: a broken checkout
        raise StackConfigError(f"alerting: vibes_observe.alerting cannot be imported ({exc})") from exc
    try:  # AlertingConfigError (a ValueError) names the key, e.g. alerting.channels[2].url_env
        acfg = alerting.validate(cfg.get("alerting"), **{f"{b}_url": f"http://{client_host(cfg)}:{cfg['ports'][b]}"
                                                         for b in ("prometheus", "alertmanager")})
        return (alerting.render_rule_files(acfg),
                alerting.render_alertmanager_config(acfg, receiver_url=receiver_url),
                alerting.render_channel_manifest(acfg))
    except ValueError as exc:
        raise StackConfigError(str(exc)) from exc


def _yaml_block(data: dict) -> str:
    import yaml
    return yaml.safe_dump(data, sort_keys=False, default_flow_style=False).rstrip("\n")


def collector_pricing() -> dict[str, Any]:
    """The committed, generated pricing processor + connector (stack/collector/pricing.yaml)."""
    import yaml  # as _yaml_block does: PyYAML is the deploy extra's, loaded when rendering
    body = yaml.safe_load((paths.REPO_ROOT / cp.ARTIFACT).read_text("utf-8"))
    return {"processor": cp.PROCESSOR, "connector": cp.CONNECTOR,
            "processors": {k: _yaml_block(v) for k, v in body["processors"].items()},
            "connectors": {k: _yaml_block(v) for k, v in body["connectors"].items()}}


def collector_exporters(cfg: dict[str, Any], *, hosts: dict[str, str],
                        export_dir: str, loki_present: bool, queue: str = "file_storage/queue"
                        ) -> tuple[dict[str, str], dict[str, list[str]], list[str]]:
    """Exporter bodies (name → YAML) and per-signal exporter names from ``exports``."""
    ports, col = cfg["ports"], cfg["collector"]
    queued = {"sending_queue": {"enabled": True, "storage": queue, "queue_size": col["queue_size"]},
              "retry_on_failure": {"enabled": True, "initial_interval": "1s", "max_interval": "10s",
                                   "max_elapsed_time": col["retry_max_elapsed"]}}
    exporters: dict[str, dict] = {}
    pipelines: dict[str, list[str]] = {}
    notices: list[str] = []
    for signal in ("traces", "metrics", "logs"):
        names: list[str] = []
        for i, target in enumerate(cfg["exports"].get(signal) or []):
            key = f"exports.{signal}[{i}]"
            kind = target_kind(target, key, signal)
            spec = target if isinstance(target, dict) else {}
            if kind == "jaeger":
                name, body = "otlp_grpc/jaeger", {"endpoint": f"{hosts['jaeger']}:{ports['jaeger_otlp_grpc']}",
                                                  "tls": {"insecure": True}, **queued}
            elif kind == "prometheus":
                name, body = "prometheus", {"endpoint": f"{hosts['listen']}:{ports['collector_prometheus']}",
                                            "enable_open_metrics": True,
                                            "resource_to_telemetry_conversion": {"enabled": False}}
            elif kind == "loki" and loki_present:
                name, body = "otlp_http/loki", {"endpoint": f"http://{hosts['loki']}:{ports['loki']}/otlp", **queued}
            elif kind == "loki":  # no Loki binary here: the native log database takes its place
                name = "otlp_http/victorialogs"
                body = {"logs_endpoint": f"http://{hosts['victorialogs']}:{ports['victorialogs']}"
                                         + VICTORIALOGS_OTLP_PATH,
                        "headers": {"VL-Stream-Fields": ",".join(VICTORIALOGS_STREAM_FIELDS)}, **queued}
                notices.append("logs: Loki is absent, so logs go to VictoriaLogs "
                               f"(http://{hosts['victorialogs']}:{ports['victorialogs']}), read with "
                               "`vibes observe logs`; Grafana's Loki panels stay empty")
            elif kind == "console":
                name, body = f"debug/{signal}", {"verbosity": spec.get("verbosity", "basic")}
            elif kind == "file":
                name = f"file/{signal}_{i}"
                body = _file_body(spec.get("path") or f"{export_dir}/{signal}.jsonl", cfg)
            elif kind == "otlp":
                protocol = spec.get("protocol", "grpc")
                name = f"otlp_{protocol}/{signal}_{i}"
                headers = dict(spec.get("headers") or {})
                headers.update({h: "${env:%s}" % v for h, v in (spec.get("headers_env") or {}).items()})
                body = {"endpoint": spec["endpoint"], **({"headers": headers} if headers else {}),
                        **({"tls": {"insecure": True}} if spec.get("insecure") else {}), **queued}
            elif kind == "datadog":
                site = spec.get("site", "datadoghq.com")
                name = f"otlp_http/datadog_{signal}"
                body = {"endpoint": spec.get("endpoint", f"https://api.{site}/api/intake/otlp"),
                        "headers": {"dd-api-key": "${env:%s}" % spec.get("api_key_env", "DD_API_KEY")}, **queued}
            elif kind == "newrelic":
                name = f"otlp_http/newrelic_{signal}"
                body = {"endpoint": spec.get("endpoint", "https://otlp.nr-data.net"),
                        "headers": {"api-key": "${env:%s}" % spec.get("api_key_env", "NEW_RELIC_LICENSE_KEY")},
                        **queued}
            else:  # pragma: no cover - target_kind rejected it already
                raise StackConfigError(f"{key}: unsupported target {kind!r}")
            exporters[name] = body
            names.append(name)
        if names:
            pipelines[signal] = names
    return {n: _yaml_block(b) for n, b in exporters.items()}, pipelines, notices


def _file_body(path: str, cfg: dict[str, Any]) -> dict:
    store = cfg["native_log_store"]
    max_days = max(1, int(duration_seconds(cfg["retention"]["logs"], "retention.logs") // 86400))
    return {"path": path, "format": "json", "flush_interval": "1s",
            "rotation": {"max_megabytes": store["max_megabytes"], "max_days": max_days,
                         "max_backups": store["max_backups"]}}


def render_native(cfg: dict[str, Any], state_dir: Path | str, binaries: dict[str, str | None],
                  *, python: str | None = None) -> StackPlan:
    """The native plan: one local process per component, everything on ``bind_address``."""
    st = paths.StateLayout(state_dir)
    ports, listen = cfg["ports"], cfg["bind_address"]
    host = client_host(cfg)
    hosts = {"listen": listen, **{c: host for c in ("collector", "jaeger", "prometheus", "alertmanager", "loki",
                                                    "victorialogs")}}
    env = _env()
    comps: dict[str, ComponentPlan] = {}
    notices: list[str] = []
    loki_present = bool(binaries.get("loki"))

    # collector
    cdir = st.config / "collector"
    exporters, pipelines, ex_notices = collector_exporters(
        cfg, hosts=hosts, export_dir=str(st.data / "export"), loki_present=loki_present)
    notices += ex_notices
    ctx = dict(listen=listen, ports=ports, collector=cfg["collector"], sampling=cfg["sampling"],
               environment=cfg["environment"], redaction_patterns=names.REDACTION_PATTERNS,
               exporters=exporters, pipelines=pipelines, pricing=collector_pricing(),
               paths={"collector_queue": str(st.data / "collector" / "queue"),
                      "otlp_token": str(st.secrets / "otlp_token")})
    col_cfg = str(cdir / "otelcol.yaml")
    comps["collector"] = ComponentPlan(
        "collector", [binaries["collector"], f"--config={col_cfg}"],
        health_url=f"http://{host}:{ports['collector_health']}/",
        url=f"http://{host}:{ports['collector_otlp_http']} (OTLP HTTP), {host}:{ports['collector_otlp_grpc']} (gRPC)",
        files={col_cfg: env.get_template("otelcol.yaml.j2").render(**ctx)},
        dirs=[str(st.data / "collector" / "queue"), str(st.data / "export")])
    if "otlp_http/victorialogs" in exporters:
        comps["victorialogs"] = native_victorialogs(cfg, st, binaries.get("victorialogs"), host)
    from vibes_observe.clients.logstore import pending_import
    old_files = pending_import(st.log_store)
    if old_files:
        notices.append(f"logs: {len(old_files)} file(s) of the old native file store in {st.log_store} are not "
                       "searched any more; `vibes observe logs import` loads them into the log database")

    # jaeger
    jcfg = str(st.config / "jaeger" / "jaeger.yaml")
    jdata = st.data / "jaeger"
    comps["jaeger"] = ComponentPlan(
        "jaeger", [binaries["jaeger"], f"--config={jcfg}"],
        health_url=f"http://{host}:{ports['jaeger_health']}/status",
        url=f"http://{host}:{ports['jaeger_query']}",
        files={jcfg: env.get_template("jaeger.yaml.j2").render(
            listen=listen, ports=ports,
            retention_go={"traces": go_duration(cfg["retention"]["traces"], "retention.traces")},
            paths={"jaeger_keys": str(jdata / "keys"), "jaeger_values": str(jdata / "values")})},
        dirs=[str(jdata / "keys"), str(jdata / "values")])

    # alert receiver + alertmanager + prometheus rules (the alerting helper renders them)
    receiver_file = str(st.data / "alerts" / "alerts.jsonl")
    receiver_url = f"http://{host}:{ports['alert_receiver']}/alerts"
    rule_files, am_yaml, channels = alerting_outputs(cfg, receiver_url)
    comps["alert-receiver"] = ComponentPlan(
        "alert-receiver", [python or os.path.abspath(sys.executable), "-m", "vibes_observe.alert_receiver",
                           "--listen", f"{listen}:{ports['alert_receiver']}", "--file", receiver_file],
        health_url=f"http://{host}:{ports['alert_receiver']}/healthz",
        url=f"http://{host}:{ports['alert_receiver']} (alerts → {receiver_file})",
        dirs=[str(st.data / "alerts")], cwd=str(paths.REPO_ROOT))
    am_cfg = str(st.config / "alertmanager" / "alertmanager.yml")
    comps["alertmanager"] = ComponentPlan(
        "alertmanager", [binaries["alertmanager"], f"--config.file={am_cfg}",
                         f"--storage.path={st.data / 'alertmanager'}",
                         f"--web.listen-address={listen}:{ports['alertmanager']}",
                         "--cluster.listen-address="],
        health_url=f"http://{host}:{ports['alertmanager']}/-/ready",
        url=f"http://{host}:{ports['alertmanager']}",
        files={am_cfg: am_yaml, str(st.config / "alertmanager" / "channels.json"): channels},
        dirs=[str(st.data / "alertmanager")],
        secret_files={am_cfg})  # may hold webhook URLs / SMTP passwords resolved from *_env

    rules_dir = st.config / "prometheus" / "rules"
    prom_cfg = str(st.config / "prometheus" / "prometheus.yml")
    prom_files = {prom_cfg: env.get_template("prometheus.yml.j2").render(
        intervals=cfg["intervals"], ports=ports, hosts=hosts, loki_enabled=loki_present,
        victorialogs_enabled="victorialogs" in comps,
        paths={"prometheus_rules": str(rules_dir)})}
    for name, text in sorted(rule_files.items()):
        prom_files[str(rules_dir / name)] = text
    comps["prometheus"] = ComponentPlan(
        "prometheus", [binaries["prometheus"], f"--config.file={prom_cfg}",
                       f"--storage.tsdb.path={st.data / 'prometheus'}",
                       # Prometheus takes ms/s/m/h/d/w/y durations: exactly the stack config's syntax
                       f"--storage.tsdb.retention.time={cfg['retention']['metrics']}",
                       f"--web.listen-address={listen}:{ports['prometheus']}",
                       "--web.enable-lifecycle", "--enable-feature=exemplar-storage"],
        health_url=f"http://{host}:{ports['prometheus']}/-/ready",
        url=f"http://{host}:{ports['prometheus']}",
        files=prom_files, dirs=[str(st.data / "prometheus"), str(rules_dir)])

    if loki_present:
        lcfg = str(st.config / "loki" / "loki.yaml")
        comps["loki"] = ComponentPlan(
            "loki", [binaries["loki"], f"-config.file={lcfg}"],
            health_url=f"http://{host}:{ports['loki']}/ready", url=f"http://{host}:{ports['loki']}",
            files={lcfg: env.get_template("loki.yaml.j2").render(
                listen=listen, ports=ports, data_dir=str(st.data / "loki"),
                retention_go={"logs": go_duration(cfg["retention"]["logs"], "retention.logs")})},
            dirs=[str(st.data / "loki")])
    else:
        notices.append("loki: no binary found (it cannot be built here); see the logs notice above")
    if binaries.get("grafana"):
        comps["grafana"] = _native_grafana(cfg, st, binaries["grafana"], host, loki_present)
    else:
        notices.append("grafana: no binary found (it cannot be built here): dashboards are available "
                       "in compose mode; natively use `vibes observe` and the Jaeger/Prometheus UIs")
    for c in comps.values():
        c.cwd = c.cwd or str(st.root)
    return StackPlan("native", str(st.root), comps, notices)


def native_victorialogs(cfg: dict[str, Any], st: paths.StateLayout, binary: str | None,
                         host: str) -> ComponentPlan:
    """VictoriaLogs: one process, one data dir, retention and memory from the stack config."""
    if not binary:
        raise StackConfigError("binaries.victorialogs: no VictoriaLogs binary (`python -m vibes_stack binaries` builds it)")
    retention_s = duration_seconds(cfg["retention"]["logs"], "retention.logs")
    if retention_s < 86400:  # its partitions are days: shorter retention is refused at start
        raise StackConfigError(f"retention.logs: {cfg['retention']['logs']!r} is shorter than VictoriaLogs' "
                               "minimum of 24h")
    port, mem = cfg["ports"]["victorialogs"], cfg["victorialogs"]["memory_limit_mib"]
    data = st.data / "victorialogs"
    return ComponentPlan(
        "victorialogs", [binary, f"-storageDataPath={data}", f"-httpListenAddr={cfg['bind_address']}:{port}",
                         f"-retentionPeriod={go_duration(cfg['retention']['logs'], 'retention.logs')}",
                         f"-memory.allowedBytes={max(1, mem // 2)}MiB",
                         # acknowledged data reaches disk within 1 s (its minimum; default 5 s): what a
                         # SIGKILL can take is bounded by this, the collector queue covers the rest
                         "-inmemoryDataFlushInterval=1s",
                         "-defaultMsgValue="],  # a record without a body keeps an empty message, not a URL
        env={"GOMEMLIMIT": f"{mem}MiB"},
        health_url=f"http://{host}:{port}/health", url=f"http://{host}:{port} (LogsQL: /select/logsql/query)",
        dirs=[str(data)])


def _native_grafana(cfg: dict[str, Any], st: paths.StateLayout, binary: str, host: str,
                    loki_present: bool) -> ComponentPlan:
    """Grafana from a binary that is already installed (e.g. a distro package), same provisioning
    files as compose; the datasource URLs come from the environment, the dashboards from dashboards/."""
    import yaml
    ports = cfg["ports"]
    prov = st.config / "grafana" / "provisioning"
    dash_provider = yaml.safe_load((paths.PROVISIONING_DIR / "grafana" / "dashboards.yaml").read_text())
    for provider in dash_provider["providers"]:
        provider["options"]["path"] = str(paths.DASHBOARDS_DIR)
    home = Path(binary).resolve().parent.parent
    if not (home / "public").is_dir() and Path("/usr/share/grafana/public").is_dir():
        home = Path("/usr/share/grafana")
    env = {"GF_PATHS_DATA": str(st.data / "grafana"), "GF_PATHS_LOGS": str(st.logs),
           "GF_PATHS_PLUGINS": str(st.data / "grafana" / "plugins"), "GF_PATHS_PROVISIONING": str(prov),
           "GF_SERVER_HTTP_ADDR": cfg["bind_address"], "GF_SERVER_HTTP_PORT": str(ports["grafana"]),
           "GF_SECURITY_ADMIN_PASSWORD__FILE": str(st.secrets / "grafana_admin_password"),
           "GF_AUTH_ANONYMOUS_ENABLED": "false", "GF_USERS_ALLOW_SIGN_UP": "false",
           "GF_ANALYTICS_REPORTING_ENABLED": "false",
           "VIBES_PROMETHEUS_URL": f"http://{host}:{ports['prometheus']}",
           "VIBES_JAEGER_URL": f"http://{host}:{ports['jaeger_query']}",
           "VIBES_LOKI_URL": f"http://{host}:{ports['loki']}",
           "VIBES_ALERTMANAGER_URL": f"http://{host}:{ports['alertmanager']}"}
    return ComponentPlan(
        "grafana", [binary, "server", f"--homepath={home}"] if Path(binary).name == "grafana"
        else [binary, f"--homepath={home}"],
        health_url=f"http://{host}:{ports['grafana']}/api/health", url=f"http://{host}:{ports['grafana']}",
        files={str(prov / "datasources" / "vibes.yaml"):
               (paths.PROVISIONING_DIR / "grafana" / "datasources.yaml").read_text(),
               str(prov / "dashboards" / "vibes.yaml"): yaml.safe_dump(dash_provider, sort_keys=False)},
        env=env, dirs=[str(st.data / "grafana"), str(prov / "plugins"), str(prov / "alerting"),
                       str(prov / "notifiers")])

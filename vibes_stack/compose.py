"""Compose mode: the official images, pinned in stack/versions.yaml, rendered into
``<state>/compose.yaml`` with configs under ``<state>/config``.

Every port is published on the bind address (127.0.0.1); every container has a memory
limit and rotated json-file logs; each service carries its config hash as a label, so
`docker compose up -d` recreates exactly the services whose config changed.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vibes_sdk import names

from . import paths
from .binaries import versions
from .render import (ORDER, ComponentPlan, _env, alerting_outputs, collector_exporters, collector_pricing,
                     go_duration)

PROJECT = "vibes-observe"
C_CONF, C_DATA = "/etc/vibes", "/var/lib/vibes"   # where configs and data live inside containers


@dataclass
class ComposePlan:
    mode: str
    state_dir: str
    components: dict[str, ComponentPlan]
    compose_file: str
    compose_text: str
    files: dict[str, str]
    dirs: list[str]
    secrets: list[str]
    notices: list[str] = field(default_factory=list)

    def ordered(self) -> list[ComponentPlan]:
        return [self.components[n] for n in ORDER if n in self.components]

    def compose_doc(self, action: str) -> dict[str, Any]:
        return {"mode": "compose", "action": action, "state_dir": self.state_dir, "compose_project": PROJECT,
                "compose_file": self.compose_file, "files": {**self.files, self.compose_file: self.compose_text},
                "dirs": self.dirs, "secrets": self.secrets, "components": [],
                "secret_files": sorted(p for p in self.files if p.endswith("alertmanager.yml")),
                "service_hashes": {n: svc["labels"]["vibes.config-hash"]
                                   for n, svc in yaml.safe_load(self.compose_text)["services"].items()}}


def render_compose(cfg: dict[str, Any], state_dir: Path | str) -> ComposePlan:
    st = paths.StateLayout(state_dir)
    v = versions()
    ports, bind = cfg["ports"], cfg["bind_address"]
    host = "127.0.0.1" if bind in ("0.0.0.0", "::") else bind
    hosts = {"listen": "0.0.0.0", "collector": "collector", "jaeger": "jaeger", "prometheus": "prometheus",
             "alertmanager": "alertmanager", "loki": "loki"}
    env = _env()
    files: dict[str, str] = {}
    services: dict[str, dict] = {}
    health: dict[str, tuple[str, str]] = {}
    uid = f"{os.getuid()}:{os.getgid()}"
    limits = cfg["containers"]

    def conf(component: str, name: str, text: str) -> str:
        files[str(st.config / component / name)] = text
        return f"{C_CONF}/{name}"

    def service(name: str, image: str, command: list[str], published: list[int], *, data: bool = True,
                extra_volumes: list[str] = (), environment: dict | None = None, user: str | None = uid) -> None:
        comp_files = sorted(p for p in files if p.startswith(str(st.config / name) + "/"))
        digest = hashlib.sha256(json.dumps([image, command, environment, extra_volumes]
                                           + [files[p] for p in comp_files]).encode()).hexdigest()[:16]
        body: dict[str, Any] = {
            "image": image, "command": command, "restart": "unless-stopped",
            "mem_limit": limits["mem_limits"][name],
            "logging": {"driver": "json-file", "options": {"max-size": limits["log_max_size"],
                                                          "max-file": str(limits["log_max_file"])}},
            "labels": {"vibes.config-hash": digest},
            "ports": [f"{host}:{p}:{p}" for p in published],
            "volumes": ([f"{st.config / name}:{C_CONF}:ro"] if comp_files else [])
                       + ([f"{st.data / name}:{C_DATA}/{name}"] if data else [])
                       + list(extra_volumes),
        }
        if user:
            body["user"] = user
        if environment:
            body["environment"] = environment
        services[name] = body

    # collector: logs go to Loki over OTLP/HTTP, traces to Jaeger, metrics via the prometheus exporter
    exporters, pipelines, notices = collector_exporters(
        cfg, hosts=hosts, export_dir=f"{C_DATA}/collector/export", loki_present=True)
    ctx = dict(listen="0.0.0.0", ports=ports, collector=cfg["collector"], sampling=cfg["sampling"],
               environment=cfg["environment"], redaction_patterns=names.REDACTION_PATTERNS,
               exporters=exporters, pipelines=pipelines, pricing=collector_pricing(),
               paths={"collector_queue": f"{C_DATA}/collector/queue", "otlp_token": "/run/secrets/otlp_token"})
    cpath = conf("collector", "otelcol.yaml", env.get_template("otelcol.yaml.j2").render(**ctx))
    service("collector", v["collector"]["image"], [f"--config={cpath}"],
            [ports[k] for k in ("collector_otlp_grpc", "collector_otlp_http", "collector_health",
                                "collector_metrics", "collector_prometheus")],
            extra_volumes=[f"{st.secrets / 'otlp_token'}:/run/secrets/otlp_token:ro"]
            if cfg["collector"]["bearer_token_auth"] else [])
    health["collector"] = (f"http://{host}:{ports['collector_health']}/",
                           f"http://{host}:{ports['collector_otlp_http']} (OTLP HTTP), {host}:{ports['collector_otlp_grpc']} (gRPC)")

    jpath = conf("jaeger", "jaeger.yaml", env.get_template("jaeger.yaml.j2").render(
        listen="0.0.0.0", ports=ports,
        retention_go={"traces": go_duration(cfg["retention"]["traces"], "retention.traces")},
        paths={"jaeger_keys": f"{C_DATA}/jaeger/keys", "jaeger_values": f"{C_DATA}/jaeger/values"}))
    service("jaeger", v["jaeger"]["image"], [f"--config={jpath}"],
            [ports[k] for k in ("jaeger_query", "jaeger_health", "jaeger_metrics")])
    health["jaeger"] = (f"http://{host}:{ports['jaeger_health']}/status", f"http://{host}:{ports['jaeger_query']}")

    receiver_url = f"http://alert-receiver:{ports['alert_receiver']}/alerts"
    rule_files, am_yaml, channels = alerting_outputs(cfg, receiver_url)
    service("alert-receiver", v["alert_receiver"]["image"],
            ["python", "-m", "vibes_observe.alert_receiver", "--listen", f"0.0.0.0:{ports['alert_receiver']}",
             "--file", f"{C_DATA}/alert-receiver/alerts.jsonl"], [ports["alert_receiver"]],
            extra_volumes=[f"{paths.REPO_ROOT / 'vibes_observe'}:/app/vibes_observe:ro"],
            environment={"PYTHONPATH": "/app"})
    health["alert-receiver"] = (f"http://{host}:{ports['alert_receiver']}/healthz",
                                f"http://{host}:{ports['alert_receiver']}")

    apath = conf("alertmanager", "alertmanager.yml", am_yaml)
    conf("alertmanager", "channels.json", channels)  # read by `vibes observe alerts` on the host
    service("alertmanager", v["alertmanager"]["image"],
            [f"--config.file={apath}", f"--storage.path={C_DATA}/alertmanager",
             f"--web.listen-address=0.0.0.0:{ports['alertmanager']}", "--cluster.listen-address="],
            [ports["alertmanager"]])
    health["alertmanager"] = (f"http://{host}:{ports['alertmanager']}/-/ready", f"http://{host}:{ports['alertmanager']}")

    for name, text in sorted(rule_files.items()):
        conf("prometheus", f"rules/{name}", text)
    ppath = conf("prometheus", "prometheus.yml", env.get_template("prometheus.yml.j2").render(
        intervals=cfg["intervals"], ports=ports, hosts=hosts, loki_enabled=True, victorialogs_enabled=False,
        paths={"prometheus_rules": f"{C_CONF}/rules"}))
    service("prometheus", v["prometheus"]["image"],
            [f"--config.file={ppath}", f"--storage.tsdb.path={C_DATA}/prometheus",
             f"--storage.tsdb.retention.time={cfg['retention']['metrics']}",
             f"--web.listen-address=0.0.0.0:{ports['prometheus']}", "--web.enable-lifecycle",
             "--enable-feature=exemplar-storage"], [ports["prometheus"]])
    health["prometheus"] = (f"http://{host}:{ports['prometheus']}/-/ready", f"http://{host}:{ports['prometheus']}")

    lpath = conf("loki", "loki.yaml", env.get_template("loki.yaml.j2").render(
        listen="0.0.0.0", ports=ports, data_dir=f"{C_DATA}/loki",
        retention_go={"logs": go_duration(cfg["retention"]["logs"], "retention.logs")}))
    service("loki", v["loki"]["image"], [f"-config.file={lpath}"], [ports["loki"]])
    health["loki"] = (f"http://{host}:{ports['loki']}/ready", f"http://{host}:{ports['loki']}")

    grafana_dir = paths.PROVISIONING_DIR / "grafana"
    service("grafana", v["grafana"]["image"], [], [ports["grafana"]], data=False,
            extra_volumes=[f"{st.data / 'grafana'}:/var/lib/grafana",
                           f"{grafana_dir / 'datasources.yaml'}:/etc/grafana/provisioning/datasources/vibes.yaml:ro",
                           f"{grafana_dir / 'dashboards.yaml'}:/etc/grafana/provisioning/dashboards/vibes.yaml:ro",
                           f"{paths.DASHBOARDS_DIR}:/var/lib/vibes-dashboards:ro",
                           f"{st.secrets / 'grafana_admin_password'}:/run/secrets/grafana_admin_password:ro"],
            environment={"GF_SERVER_HTTP_PORT": str(ports["grafana"]),
                         "GF_SECURITY_ADMIN_PASSWORD__FILE": "/run/secrets/grafana_admin_password",
                         "GF_AUTH_ANONYMOUS_ENABLED": "false", "GF_USERS_ALLOW_SIGN_UP": "false",
                         "GF_ANALYTICS_REPORTING_ENABLED": "false",
                         "VIBES_PROMETHEUS_URL": f"http://prometheus:{ports['prometheus']}",
                         "VIBES_JAEGER_URL": f"http://jaeger:{ports['jaeger_query']}",
                         "VIBES_LOKI_URL": f"http://loki:{ports['loki']}",
                         "VIBES_ALERTMANAGER_URL": f"http://alertmanager:{ports['alertmanager']}"})
    health["grafana"] = (f"http://{host}:{ports['grafana']}/api/health", f"http://{host}:{ports['grafana']}")

    compose = {"name": PROJECT, "services": services}
    compose_text = ("# Rendered by vibes_stack from stack/versions.yaml + the stack config. Do not edit.\n"
                    + yaml.safe_dump(compose, sort_keys=False))
    comps = {n: ComponentPlan(n, argv=services[n]["command"], health_url=health[n][0], url=health[n][1])
             for n in services}
    dirs = [str(st.data / n) for n in services if n != "grafana"] + [
        str(st.data / "grafana"), str(st.data / "jaeger" / "keys"), str(st.data / "jaeger" / "values"),
        str(st.data / "collector" / "queue")]
    secrets = [str(st.secrets / "grafana_admin_password")]
    if cfg["collector"]["bearer_token_auth"]:
        secrets.append(str(st.secrets / "otlp_token"))
    return ComposePlan("compose", str(st.root), comps, str(st.root / "compose.yaml"), compose_text, files,
                       dirs, secrets, notices)

"""grafana: provisioned datasources and dashboards. Natively only when a binary is present (it
cannot be built here); the admin password is generated once (0600), never admin/admin."""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .. import paths
from . import loki
from .base import Absent, Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "grafana"
PASSWORD = "grafana_admin_password"
_PROVIDED = paths.PROVISIONING_DIR / "grafana"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
    if not place.available(NAME):
        return Absent("grafana: no binary found (it cannot be built here): dashboards are available "
                      "in compose mode; natively use `vibes observe` and the Jaeger/Prometheus UIs")
    ports, st = cfg.ports, place.state
    password, seen_password = place.secret(PASSWORD)
    env = {"GF_SERVER_HTTP_PORT": str(ports.grafana), "GF_SECURITY_ADMIN_PASSWORD__FILE": seen_password,
           "GF_AUTH_ANONYMOUS_ENABLED": "false", "GF_USERS_ALLOW_SIGN_UP": "false",
           "GF_ANALYTICS_REPORTING_ENABLED": "false",
           "VIBES_PROMETHEUS_URL": f"http://{place.reach('prometheus')}:{ports.prometheus}",
           "VIBES_JAEGER_URL": f"http://{place.reach('jaeger')}:{ports.jaeger_query}",
           "VIBES_LOKI_URL": loki.query_url(cfg, place),
           "VIBES_ALERTMANAGER_URL": f"http://{place.reach('alertmanager')}:{ports.alertmanager}"}
    common = dict(health_url=place.url(ports.grafana, "/api/health"), url=place.url(ports.grafana),
                  secrets=[password], published=[ports.grafana])
    if not place.native:  # the image's own layout; provisioning files and dashboards mounted read-only
        return ComponentSpec(
            NAME, [], env=env, dirs=[str(st.data / NAME)], data_volume=False,
            volumes=[f"{st.data / NAME}:/var/lib/grafana",
                     f"{_PROVIDED / 'datasources.yaml'}:/etc/grafana/provisioning/datasources/vibes.yaml:ro",
                     f"{_PROVIDED / 'dashboards.yaml'}:/etc/grafana/provisioning/dashboards/vibes.yaml:ro",
                     f"{paths.DASHBOARDS_DIR}:/var/lib/vibes-dashboards:ro",
                     f"{password}:{seen_password}:ro"], **common)
    # natively: a binary already installed (e.g. a distro package), the same provisioning files;
    # datasource URLs from the environment, dashboards straight from dashboards/
    binary = place.executable(NAME)[0]
    prov = st.config / NAME / "provisioning"
    dash_provider = yaml.safe_load((_PROVIDED / "dashboards.yaml").read_text())
    for provider in dash_provider["providers"]:
        provider["options"]["path"] = str(paths.DASHBOARDS_DIR)
    home = Path(binary).resolve().parent.parent
    if not (home / "public").is_dir() and Path("/usr/share/grafana/public").is_dir():
        home = Path("/usr/share/grafana")
    env = {"GF_PATHS_DATA": str(st.data / NAME), "GF_PATHS_LOGS": str(st.logs),
           "GF_PATHS_PLUGINS": str(st.data / NAME / "plugins"), "GF_PATHS_PROVISIONING": str(prov),
           "GF_SERVER_HTTP_ADDR": cfg.bind_address, **env}
    return ComponentSpec(
        NAME, [binary, "server", f"--homepath={home}"] if Path(binary).name == "grafana"
        else [binary, f"--homepath={home}"],
        files={str(prov / "datasources" / "vibes.yaml"): (_PROVIDED / "datasources.yaml").read_text(),
               str(prov / "dashboards" / "vibes.yaml"): yaml.safe_dump(dash_provider, sort_keys=False)},
        env=env, dirs=[str(st.data / NAME), str(prov / "plugins"), str(prov / "alerting"), str(prov / "notifiers")],
        **common)


COMPONENT = Component(NAME, spec, after=("prometheus", "jaeger", loki.NAME, loki.READ, "alertmanager"),
                      executables=("grafana", "grafana-server"), optional=True, memory_limit="512m")

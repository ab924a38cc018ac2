"""The collector tiers on namespace hosts: storage on s1, gateways g1/g2, agents (+ their gateway watchers).

Processes are started through the harness (`Cluster.spawn`) from the very specs a fleet deploy
writes (the TIERS components rendered for a HostPlacement; the storage host from render_native),
each host under its own state dir. The pyinfra-over-SSH wiring replaces `start`; the specs stay.
"""
from __future__ import annotations

import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vibes_observe.clients._http import get_json
from vibes_stack import binaries, config, paths
from vibes_stack.components import TIERS, HostPlacement, collector_agent, collector_gateway, gateway_watch
from vibes_stack.config import StackConfig
from vibes_stack.render import ComponentPlan, render_native

from .hosts import Cluster, Host
from .system import ClusterError, wait_for

READY_TIMEOUT = 90.0
STORAGE = ("jaeger", "prometheus", "victorialogs")
OUT_OF_ORDER_WINDOW = "30m"  # a restarted gateway's write-ahead log replays samples older than the survivor's

#: the stack config of the tier tests: quick scrapes and decisions, a visible sampled share
CONFIG = {"intervals": {"scrape": "2s", "evaluation": "15s"},
          "sampling": {"traces_percent": 20, "decision_wait": "2s"}}


@dataclass
class Tier:
    cluster: Cluster
    cfg: StackConfig
    storage: Host
    gateways: list[Host]
    agents: list[Host]
    plans: dict[str, ComponentPlan] = field(default_factory=dict)   # "<host>/<component>" → plan
    children: dict[str, subprocess.Popen] = field(default_factory=dict)

    @property
    def prometheus_url(self) -> str:
        return f"http://{self.storage.address}:{self.cfg.ports.prometheus}"

    @property
    def jaeger_url(self) -> str:
        return f"http://{self.storage.address}:{self.cfg.ports.jaeger_query}"

    @property
    def victorialogs_url(self) -> str:
        return f"http://{self.storage.address}:{self.cfg.ports.victorialogs}"

    def log(self, host: Host, component: str) -> Path:
        return host.state_dir / f"{component}.log"

    def start(self, host: Host, component: str) -> None:
        plan = self.plans[f"{host.name}/{component}"]
        for directory in plan.dirs:
            Path(directory).mkdir(parents=True, exist_ok=True)
        for path, text in plan.files.items():
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            Path(path).write_text(text)
        argv = ["env", "-C", plan.cwd or str(host.state_dir), *plan.argv]
        self.children[f"{host.name}/{component}"] = self.cluster.spawn(host, argv, log=self.log(host, component))

    def kill(self, host: Host, component: str) -> None:
        child = self.children.pop(f"{host.name}/{component}")
        child.kill()  # SIGKILL
        child.wait(timeout=10)

    def get_in(self, host: Host, url: str) -> bool:
        """True when ``url`` answers 200 from inside ``host`` (agents listen on their own loopback)."""
        probe = f"import urllib.request as u; u.urlopen({url!r}, timeout=2).read()"
        try:
            self.cluster.run(host, [sys.executable, "-c", probe], timeout=10)
        except ClusterError:
            return False
        return True

    def wait_ready(self, host: Host, component: str) -> None:
        plan = self.plans[f"{host.name}/{component}"]
        if not plan.health_url:
            return
        key = f"{host.name}/{component}"

        def ready() -> bool:
            child = self.children[key]
            if child.poll() is not None:
                raise ClusterError(f"{key} exited {child.returncode}:\n{self.log(host, component).read_text()[-3000:]}")
            return self.get_in(host, plan.health_url)

        wait_for(ready, timeout=READY_TIMEOUT, interval=0.5, what=f"{key} healthy")

    def prometheus(self, expr: str) -> dict:
        return get_json("prometheus", self.prometheus_url, "/api/v1/query", params={"query": expr}, timeout=30)


def scrape_configs(cfg: StackConfig, tier_hosts: dict[str, list[str]]) -> list[dict[str, Any]]:
    """Scrape jobs for the tiers' own telemetry (queue sizes, accepted/sent items, backend outcomes)."""
    port = cfg.ports.collector_metrics
    return [{"job_name": f"vibes-{tier}", "scrape_interval": str(cfg.intervals.scrape),
             "static_configs": [{"targets": [f"{address}:{port}" for address in addresses]}]}
            for tier, addresses in tier_hosts.items()]


def _storage_plans(cfg: StackConfig, storage: Host, tier_hosts: dict[str, list[str]]) -> dict[str, ComponentPlan]:
    """Jaeger, Prometheus (remote-write receiver, scraping the tiers) and VictoriaLogs for ``storage``."""
    found = {name: binaries.find(name)[0] for name in binaries.path_names()}
    missing = [name for name in STORAGE + ("collector",) if not found.get(name)]
    if missing:  # fail loudly: `python -m vibes_stack binaries` builds or installs them
        raise ClusterError(f"binaries missing for the tier tests: {missing}")
    at_storage = config.build(CONFIG, overrides={"bind_address": storage.address})
    plan = render_native(at_storage, storage.state_dir / "stack", found)
    prometheus = plan.components["prometheus"]
    prometheus.argv.append("--web.enable-remote-write-receiver")
    prom_file = next(path for path in prometheus.files if path.endswith("prometheus.yml"))
    prom_cfg = yaml.safe_load(prometheus.files[prom_file])
    prom_cfg.setdefault("storage", {})["tsdb"] = {"out_of_order_time_window": OUT_OF_ORDER_WINDOW}
    prom_cfg["scrape_configs"] += scrape_configs(cfg, tier_hosts)
    prometheus.files[prom_file] = yaml.safe_dump(prom_cfg, sort_keys=False)
    return {name: plan.components[name] for name in STORAGE}


def bring_up(cluster: Cluster, *, agents: int = 2) -> Tier:
    cfg = config.build(CONFIG)
    storage = cluster.group("storage")[0]
    gateways = cluster.group("gateways")
    agent_hosts = cluster.group("agents")[:agents]
    where = {collector_gateway.NAME: [g.address for g in gateways],
             **{name: [storage.address] for name in STORAGE}}
    collector = binaries.find("collector")[0]
    tier = Tier(cluster, cfg, storage, gateways, agent_hosts)
    for name, plan in _storage_plans(cfg, storage, {"agents": [a.address for a in agent_hosts],
                                                    "gateways": where[collector_gateway.NAME]}).items():
        tier.plans[f"{storage.name}/{name}"] = plan

    def place(host: Host) -> HostPlacement:
        return HostPlacement(cfg, paths.StateLayout(host.state_dir), {c.name: collector for c in TIERS},
                             name=host.name, address=host.address, where=where, python=sys.executable)

    for gateway in gateways:
        tier.plans[f"{gateway.name}/collector"] = collector_gateway.spec(cfg, place(gateway))
    for agent in agent_hosts:
        tier.plans[f"{agent.name}/collector"] = collector_agent.spec(cfg, place(agent))
        tier.plans[f"{agent.name}/gateway-watch"] = gateway_watch.spec(cfg, place(agent))
    order = [(storage, name) for name in STORAGE] + [(g, "collector") for g in gateways]
    order += [(a, c) for a in agent_hosts for c in ("gateway-watch", "collector")]
    for host, component in order:
        tier.start(host, component)
    for host, component in order:
        tier.wait_ready(host, component)
    time.sleep(2)  # the watchers' first probe listed the gateways
    return tier

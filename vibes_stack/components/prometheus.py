"""prometheus: scrapes the collector's exporter and every component; evaluates the generated rules."""
from __future__ import annotations

from typing import TYPE_CHECKING

from . import _alerting, collector_agent, collector_gateway, loki, thanos, victorialogs
from .base import Component, ComponentSpec, Placement, template

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "prometheus"
SCRAPED = ("collector", "jaeger", "alertmanager", NAME, victorialogs.NAME)
#: a fleet's collector tiers: their own telemetry scraped like the collector's
TIERS = (collector_agent.NAME, collector_gateway.NAME)
#: a restarted gateway's remote-write WAL replays samples older than those its survivor already
#: wrote for the same series; outside this window Prometheus refuses the whole request (400) and
#: the exporter drops it, other series' samples with it
OUT_OF_ORDER_WINDOW = "30m"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec:
    port = cfg.ports.prometheus
    remote_write = thanos.remote_write_urls(cfg, place)
    # in a fleet with a metrics tier this is its scraper: the tier's rulers evaluate the rules
    rule_files = {} if remote_write else _alerting.outputs(cfg, place)[0]
    rules_dir, seen_rules_dir = place.config_file(NAME, "rules")
    config, seen_config = place.config_file(NAME, "prometheus.yml")
    written_to = bool(place.placed(collector_gateway.NAME))  # gateways push their metrics (remote write)
    files = {config: template(
        "prometheus.yml.j2", intervals=cfg.intervals, ports=cfg.ports,
        hosts={c: place.reach_all(c) for c in SCRAPED},
        loki_targets=[f"{host}:{port}" for host, port in loki.scraped(cfg, place)],
        tier_collectors=[h for tier in TIERS for h in place.placed(tier)],
        out_of_order_window=OUT_OF_ORDER_WINDOW if written_to else None,
        victorialogs_enabled=victorialogs.wanted(cfg, place), paths={"prometheus_rules": seen_rules_dir},
        remote_write=remote_write, replica_label=thanos.PROMETHEUS_REPLICA_LABEL, listen=place.listen)}
    files.update({f"{rules_dir}/{name}": text for name, text in sorted(rule_files.items())})
    return ComponentSpec(
        NAME, [*place.executable(NAME), f"--config.file={seen_config}", f"--storage.tsdb.path={place.data(NAME)}",
               # Prometheus takes ms/s/m/h/d/w/y durations: exactly the stack config's syntax
               f"--storage.tsdb.retention.time={cfg.retention.metrics}",
               f"--web.listen-address={place.listen}:{port}",
               "--web.enable-lifecycle", "--enable-feature=exemplar-storage",
               *(["--web.enable-remote-write-receiver"] if written_to else [])],
        health_url=place.url(port, "/-/ready"), url=place.url(port),
        files=files, dirs=[str(place.state.data / NAME), rules_dir],
        pruned_dirs=[rules_dir],  # a dropped rule stops evaluating (user rules live in a sibling dir)
        published=[port])


COMPONENT = Component(NAME, spec, after=("collector", "alertmanager"), executables=("prometheus",),
                      memory_limit="1g")

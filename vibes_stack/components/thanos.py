"""The metrics tier of a fleet (the `metrics` group): Thanos' roles, one component each, peers from
the inventory (``place.reach_all``). Fleet only: a single host keeps its Prometheus.

VictoriaMetrics cluster cannot be built here (the Go module proxy serves none of its `-cluster`
versions), so the tier is Thanos, mapped one to one:

* vminsert  → ``thanos-router``: `thanos receive` with a hashring naming every ingestor, replication
  factor 2 (Thanos' write quorum for RF=2 is 1, so writes succeed while one ingestor is down);
* vmstorage → ``thanos-ingestor``: `thanos receive` with its own TSDB, the stack's metrics retention,
  a replica label;
* vmselect  → ``thanos-query``: the Prometheus HTTP API over ingestors + rulers, deduplicated on the
  replica labels, so the CLI and dashboards query it like the single-host Prometheus;
* vmalert   → ``thanos-rule``: the SAME generated rule files as the single-host Prometheus, sending to
  every Alertmanager with its replica label dropped, so replicas' alerts are identical and the
  Alertmanager gossip cluster notifies once.

Prometheus stays the scraper (every collector of the fleet) and remote-writes to every router.
Every listener binds the host's own address (Thanos defaults to 0.0.0.0).
"""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING

from ..errors import StackConfigError
from . import _alerting
from .base import Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

ROUTER, INGESTOR, QUERY, RULE = "thanos-router", "thanos-ingestor", "thanos-query", "thanos-rule"
REPLICATION_FACTOR = 2
HASHRING_NAME = "default"
RECEIVE_REPLICA_LABEL = "receive_replica"
RULE_REPLICA_LABEL = "rule_replica"
PROMETHEUS_REPLICA_LABEL = "prometheus_replica"   # on what each scraping Prometheus remote-writes
REPLICA_LABELS = (RECEIVE_REPLICA_LABEL, RULE_REPLICA_LABEL, PROMETHEUS_REPLICA_LABEL)
REMOTE_WRITE_PATH = "/api/v1/receive"
ALERTMANAGER = "alertmanager"


def _ports(cfg: StackConfig, component: str) -> dict[str, int]:
    """The role's own ports (``thanos_<role>_<kind>`` in the stack config)."""
    prefix = component.replace("-", "_") + "_"
    return {key[len(prefix):]: port for key, port in cfg.ports if key.startswith(prefix)}


def endpoint(cfg: StackConfig, component: str, host: str, kind: str) -> str:
    return f"{host}:{_ports(cfg, component)[kind]}"


def remote_write_urls(cfg: StackConfig, place: Placement) -> list[str]:
    """Every router's remote-write URL (empty: no metrics tier in this fleet)."""
    return [f"http://{endpoint(cfg, ROUTER, h, 'remote_write')}{REMOTE_WRITE_PATH}" for h in place.placed(ROUTER)]


def query_url(cfg: StackConfig, host: str) -> str:
    """Base URL of the tier's Prometheus-compatible HTTP API on ``host``."""
    return f"http://{endpoint(cfg, QUERY, host, 'http')}"


def alertmanager_url(cfg: StackConfig, host: str) -> str:
    return f"http://{host}:{cfg.ports.alertmanager}"


def hashring(cfg: StackConfig, ingestors: list[str]) -> str:
    return json.dumps([{"hashring": HASHRING_NAME, "endpoints": [{"address": endpoint(cfg, INGESTOR, h, "grpc")}
                                                                  for h in ingestors]}], indent=2) + "\n"


def _listeners(cfg: StackConfig, component: str, place: Placement) -> list[str]:
    return [f"--grpc-address={endpoint(cfg, component, place.listen, 'grpc')}",
            f"--http-address={endpoint(cfg, component, place.listen, 'http')}"]


def _spec(cfg: StackConfig, place: Placement, component: str, args: list[str], **extra) -> ComponentSpec:
    http = _ports(cfg, component)["http"]
    return ComponentSpec(component, [*place.executable(component), *args, *_listeners(cfg, component, place)],
                         health_url=place.url(http, "/-/ready"), url=place.url(http), **extra)


def _receive(cfg: StackConfig, component: str, place: Placement) -> list[str]:
    # Thanos requires an identifying external label on every receive, routers included (they store nothing)
    return ["receive", f"--remote-write.address={endpoint(cfg, component, place.listen, 'remote_write')}",
            f"--receive.capnproto-address={endpoint(cfg, component, place.listen, 'capnproto')}",
            f'--label={RECEIVE_REPLICA_LABEL}="{place.listen}"']


def ingestor(cfg: StackConfig, place: Placement) -> ComponentSpec:
    tsdb = place.data(INGESTOR)
    # no hashring: Thanos' IngestorOnly mode, fed by the routers over gRPC
    return _spec(cfg, place, INGESTOR, [*_receive(cfg, INGESTOR, place), f"--tsdb.path={tsdb}",
                                        f"--tsdb.retention={cfg.retention.metrics}"],
                 dirs=[str(place.state.data / INGESTOR)])


def router(cfg: StackConfig, place: Placement) -> ComponentSpec:
    ingestors = place.reach_all(INGESTOR)
    if len(ingestors) < REPLICATION_FACTOR:
        raise _tier_error(f"{len(ingestors)} {INGESTOR} host(s) cannot hold replication factor {REPLICATION_FACTOR}")
    ring, seen_ring = place.config_file(ROUTER, "hashring.json")
    tsdb = place.data(ROUTER)  # RouterOnly keeps no TSDB; the flag still names a dir
    # no --receive.local-endpoint: with a hashring that makes it a pure router (Thanos' RouterOnly mode)
    return _spec(cfg, place, ROUTER, [*_receive(cfg, ROUTER, place), f"--receive.hashrings-file={seen_ring}",
                                      "--receive.hashrings-algorithm=ketama",
                                      f"--receive.replication-factor={REPLICATION_FACTOR}", f"--tsdb.path={tsdb}"],
                 files={ring: hashring(cfg, ingestors)}, dirs=[str(place.state.data / ROUTER)])


def query(cfg: StackConfig, place: Placement) -> ComponentSpec:
    stores = ([endpoint(cfg, INGESTOR, h, "grpc") for h in place.reach_all(INGESTOR)]
              + [endpoint(cfg, RULE, h, "grpc") for h in place.reach_all(RULE)])
    # chain: receive replicas hold the same samples at the same timestamps, so dedup is 1:1 and exact.
    # The default penalty merger, made for scrapes at different instants, dropped two batches of samples
    # at an ingestor's failover (measured: 10 700 of 10 800 samples).
    return _spec(cfg, place, QUERY, ["query", *(f"--endpoint={s}" for s in stores),
                                     *(f"--query.replica-label={label}" for label in REPLICA_LABELS),
                                     "--deduplication.func=chain"])


def rule_files(cfg: StackConfig, place: Placement) -> dict[str, str]:
    """The single-host rule files, with the tier's own endpoints in the runbooks."""
    files, _am_yaml, _channels = _alerting.render(
        cfg, receiver_url=_alerting.receiver_url(cfg, place), prometheus_url=query_url(cfg, place.reach(QUERY)),
        alertmanager_url=alertmanager_url(cfg, place.reach(ALERTMANAGER)))
    return files


def rule(cfg: StackConfig, place: Placement) -> ComponentSpec:
    rules_dir, seen_rules_dir = place.config_file(RULE, "rules")
    root = str(place.state.root)
    # Prometheus' rule manager offsets a group's evaluations by a hash of (rule file path, group name),
    # and `thanos rule` evaluates a copy, <data dir>/.tmp-rules/<strategy>/<rule file as given>. Both are
    # given relative to the state root, its working directory, so every ruler evaluates at the same
    # instants whatever its host's state dir path, and query's chain dedup is 1:1 (at different offsets
    # the merge took a second replica's ledger increments too: 13 steps for 12, and a doubled Today).
    data, rule_glob = os.path.relpath(place.data(RULE), root), os.path.relpath(seen_rules_dir, root)
    args = ["rule", f"--data-dir={data}", f"--rule-file={rule_glob}/*.yml",
            # groups carry their own interval (the ledger's); the rest use the stack's evaluation interval
            f"--eval-interval={cfg.intervals.evaluation}", f"--tsdb.retention={cfg.retention.metrics}",
            f'--label={RULE_REPLICA_LABEL}="{place.listen}"', f"--alert.label-drop={RULE_REPLICA_LABEL}",
            *(f"--query={query_url(cfg, h)}" for h in place.reach_all(QUERY)),
            *(f"--alertmanagers.url={alertmanager_url(cfg, h)}" for h in place.reach_all(ALERTMANAGER))]
    files = {f"{rules_dir}/{name}": text for name, text in sorted(rule_files(cfg, place).items())}
    return _spec(cfg, place, RULE, args, files=files, dirs=[str(place.state.data / RULE), rules_dir],
                 pruned_dirs=[rules_dir], cwd=root)


def _tier_error(message: str) -> StackConfigError:
    return StackConfigError(f"vibes_components: metrics tier: {message}")


def _component(name: str, spec, after: tuple[str, ...] = ()) -> Component:
    return Component(name, spec, after=after, executables=("thanos",), image_key="thanos", fleet_only=True)


# storage first, then what writes to it (routers) or reads it (rulers query the queriers, which read both)
COMPONENTS = (_component(INGESTOR, ingestor), _component(ROUTER, router, (INGESTOR,)),
              _component(QUERY, query, (INGESTOR,)), _component(RULE, rule, (QUERY, ALERTMANAGER)))

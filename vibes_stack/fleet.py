"""A fleet: the stack's components spread over the hosts of a pyinfra inventory, deployed over SSH.

Which components run where is group data: ``vibes_components = [...]`` in
``stack/group_data/<group>.py`` (a host in several groups runs the union). Each host needs host
data ``vibes_address`` (the address its components bind and peers reach) and ``vibes_state_dir``
(its own state root: hosts that share a filesystem must not share state). Every host is rendered
with ``HostPlacement`` into the same deploy document a single host gets, and
``stack/dispatch.deploy_fleet`` deploys each host's own document. Rendering covers every host of
the inventory even under ``--limit``: a limited run still knows where its peers are.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyinfra.api import Inventory

from . import components, paths, pyinfra_run, supervisor
from .config import StackConfig
from .deploy import Prepared, document, stack_deploy
from .errors import StackConfigError
from .render import StackPlan, render_all

COMPONENTS_KEY = "vibes_components"
ADDRESS_KEY = "vibes_address"
STATE_DIR_KEY = "vibes_state_dir"


@dataclass(frozen=True)
class FleetHost:
    name: str
    address: str
    state_dir: Path
    components: tuple[str, ...]      # registry (start) order


@dataclass
class Fleet:
    cfg: StackConfig
    hosts: dict[str, FleetHost]      # inventory order
    plans: dict[str, StackPlan]      # host name → its rendered components

    @property
    def notices(self) -> list[str]:
        return list(dict.fromkeys(n for plan in self.plans.values() for n in plan.notices))

    def documents(self, action: str) -> dict[str, dict[str, Any]]:
        """Host name → the deploy document of that host (what ``dispatch.deploy_fleet`` reads)."""
        return {name: document(Prepared("native", self.cfg, plan, paths.StateLayout(plan.state_dir)), action)
                for name, plan in self.plans.items()}


@dataclass
class FleetResult:
    """What a run did, per host: the operations that changed and the supervisor's reports."""
    run: pyinfra_run.RunResult
    changed: dict[str, list[str]] = field(default_factory=dict)          # host → operation names
    actions: dict[str, dict[str, list[str]]] = field(default_factory=dict)  # host → action → components

    @property
    def nothing_changed(self) -> bool:
        return not any(self.changed.values())


def is_fleet(inventory: Inventory) -> bool:
    """Whether any group of the inventory places components (else the whole stack goes to every host)."""
    return any(COMPONENTS_KEY in inventory.get_group_data(g) for g in inventory.groups)


def fleet_hosts(inventory: Inventory) -> dict[str, FleetHost]:
    known = [c.name for c in components.ALL]
    hosts: dict[str, FleetHost] = {}
    for host in inventory:
        wanted: set[str] = set()
        for group in sorted(host.groups):
            listed = inventory.get_group_data(group).get(COMPONENTS_KEY, [])
            unknown = [c for c in listed if c not in known]
            if unknown:
                raise StackConfigError(f"group_data/{group}.py: {COMPONENTS_KEY}: unknown component(s) "
                                       f"{unknown}; known: {', '.join(known)}")
            wanted.update(listed)
        missing = [key for key in (ADDRESS_KEY, STATE_DIR_KEY) if not host.data.get(key)]
        if missing:
            raise pyinfra_run.TargetError(f"inventory host {host.name}: host data {', '.join(missing)} missing "
                                          "(the address its components bind; its own state root)")
        hosts[host.name] = FleetHost(host.name, str(host.data.get(ADDRESS_KEY)), Path(host.data.get(STATE_DIR_KEY)),
                                     tuple(c for c in known if c in wanted))
    return hosts


def placed(hosts: dict[str, FleetHost]) -> set[str]:
    """Every component some host of the fleet runs (what its binaries must cover)."""
    return {c for h in hosts.values() for c in h.components}


def render_fleet(cfg: StackConfig, hosts: dict[str, FleetHost], binaries: dict[str, str | None]) -> Fleet:
    """Every host's components for its ``HostPlacement``; pure, like the single-host render."""
    peers: dict[str, list[str]] = {}
    for h in hosts.values():
        for c in h.components:
            peers.setdefault(c, []).append(h.address)
    plans: dict[str, StackPlan] = {}
    for h in hosts.values():
        state = paths.StateLayout(h.state_dir)
        place = components.HostPlacement(cfg, state, binaries, address=h.address, peers=peers)
        specs, notices = render_all(cfg, place, only=h.components)
        for spec in specs.values():
            spec.cwd = spec.cwd or str(state.root)
        plans[h.name] = StackPlan("native", str(state.root), specs, notices)
    return Fleet(cfg, hosts, plans)


def prepare(cfg: StackConfig, inventory: Inventory, binaries: dict[str, str | None]) -> Fleet:
    return render_fleet(cfg, fleet_hosts(inventory), binaries)


def apply(fleet: Fleet, action: str = "up", *, targets: pyinfra_run.Targets, dry: bool = False,
          progress: Callable[[str], None] | None = None, verbose: bool = False) -> FleetResult:
    """Deploy (or with ``dry`` only predict) every selected host's document."""
    run = pyinfra_run.run(stack_deploy("deploy_fleet"), fleet.documents(action), targets=targets, dry=dry,
                          progress=progress, verbose=verbose)
    result = FleetResult(run)
    for host in run.hosts:
        result.changed[host.name] = [op.name for op in host.operations if (op.will_change if dry else op.changed)]
        for op in host.operations:
            for report in supervisor.read_reports(op.stdout) if op.changed else []:
                result.actions.setdefault(host.name, {}).setdefault(report["action"], []).append(report["component"])
    return result


def status_rows(fleet: Fleet, hosts: list[str] | None = None) -> list[tuple[str, str, str]]:
    """(host/component, health, url) of every component of the named hosts (all by default)."""
    rows = []
    for name in hosts or list(fleet.plans):
        for spec in fleet.plans[name].ordered():
            rows.append((f"{name}/{spec.name}", "healthy" if supervisor.healthy(spec.health_url) else "UNHEALTHY",
                         spec.url))
    return rows

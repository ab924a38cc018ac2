"""The stack's components: one module each, in start order (``ALL``).

A module declares ``COMPONENT`` (name, dependencies, executable names, container memory limit)
and ``spec(cfg, place)``; native rendering, compose rendering, binary lookup and the pyinfra
deploy are loops over ``ALL``. A new component is one new module listed here.
"""
from __future__ import annotations

from . import (alert_receiver, alertmanager, collector, collector_agent, collector_gateway, gateway_watch, grafana,
               jaeger, loki, prometheus, victorialogs)
from .base import Absent, Component, ComponentSpec, ContainerPlacement, HostPlacement, NativePlacement, Placement

__all__ = ["ALL", "Absent", "Component", "ComponentSpec", "ContainerPlacement", "FLEET", "HostPlacement",
           "NativePlacement", "Placement", "TIERS", "ordered"]


def ordered(components: list[Component]) -> tuple[Component, ...]:
    """Dependencies first; otherwise as listed. A dependency that is not listed is ignored (an
    optional one); a cycle is a programming error."""
    names = {c.name for c in components}
    done: list[Component] = []
    pending = list(components)
    while pending:
        ready = next((c for c in pending if all(d in {x.name for x in done} or d not in names for d in c.after)),
                     None)
        if ready is None:
            raise ValueError(f"components: dependency cycle among {[c.name for c in pending]}")
        done.append(ready)
        pending.remove(ready)
    return tuple(done)


ALL = ordered([alert_receiver.COMPONENT, alertmanager.COMPONENT, jaeger.COMPONENT, loki.COMPONENT,
               victorialogs.COMPONENT, collector.COMPONENT, prometheus.COMPONENT, grafana.COMPONENT])

#: the multi-host collector tiers (stack/README.md, "Collector tiers"), placed per host by a fleet's
#: group data: gateways on the gateway hosts, a watcher and an agent on every app host. Not in ALL:
#: a single host runs ``collector`` alone.
TIERS = ordered([collector_gateway.COMPONENT, gateway_watch.COMPONENT, collector_agent.COMPONENT])
#: what a fleet's group data may place (vibes_stack/fleet.py)
FLEET = ordered([*ALL, *TIERS])

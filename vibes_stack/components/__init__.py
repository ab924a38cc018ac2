"""The stack's components: one module each, in start order (``ALL``).

A module declares ``COMPONENT`` (name, dependencies, executable names, container memory limit)
and ``spec(cfg, place)``; native rendering, compose rendering, binary lookup and the pyinfra
deploy are loops over ``ALL``. A new component is one new module listed here.
"""
from __future__ import annotations

from . import (alert_receiver, alertmanager, cassandra, collector, collector_agent, collector_gateway, gateway_watch,
               grafana, jaeger, loki, prometheus, seaweedfs, thanos, victorialogs)
from .base import Absent, Component, ComponentSpec, ContainerPlacement, HostPlacement, NativePlacement, Placement

__all__ = ["ALL", "Absent", "Component", "ComponentSpec", "ContainerPlacement", "HostPlacement",
           "NativePlacement", "Placement", "ordered"]


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


#: Components marked ``fleet_only`` (the collector tiers, Thanos, Cassandra) render only for an
#: inventory host whose group data places them: a single host runs the rest.
ALL = ordered([alert_receiver.COMPONENT, alertmanager.COMPONENT, cassandra.COMPONENT, jaeger.COMPONENT,
               seaweedfs.COMPONENT, loki.COMPONENT, *loki.COMPONENTS, victorialogs.COMPONENT, collector.COMPONENT,
               *thanos.COMPONENTS, prometheus.COMPONENT,
               collector_gateway.COMPONENT, gateway_watch.COMPONENT, collector_agent.COMPONENT, grafana.COMPONENT])

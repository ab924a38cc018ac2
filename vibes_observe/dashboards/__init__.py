"""Grafana dashboards as code (grafana-foundation-sdk): ``render(slug)`` gives the committed JSON.

Each module builds one dashboard; ``python -m vibes_observe.generate`` writes them to
``dashboards/<slug>.json`` and ``--check`` fails when the committed JSON drifts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping

from grafana_foundation_sdk.builders import dashboard as db

from vibes_observe import datasources
from vibes_observe.dashboards import agents, cost, health, models, overview, sessions
from vibes_observe.dashboards._build import to_json

#: slug (file name without .json) -> builder
DASHBOARDS: dict[str, Callable[[], db.Dashboard]] = {
    "overview": overview.build,
    "cost": cost.build,
    "models": models.build,
    "agents": agents.build,
    "sessions": sessions.build,
    "stack-health": health.build,
}


def render(slug: str) -> str:
    return to_json(DASHBOARDS[slug]())


def prometheus_targets(slug: str) -> list[tuple[dict, dict]]:
    """(panel, target) of every Prometheus query on dashboard ``slug``, as Grafana gets them."""
    return [(panel, target) for panel in json.loads(render(slug))["panels"] for target in panel.get("targets", [])
            if (target.get("datasource") or {}).get("uid") == datasources.PROMETHEUS_UID]


def substitute(expr: str, values: Mapping[str, str]) -> str:
    """``expr`` with Grafana's variables (``$service``, ``$__range``, …) replaced by ``values``; longest
    name first, so ``$__interval_ms`` is not read as ``$__interval`` followed by ``_ms``."""
    for var in sorted(values, key=len, reverse=True):
        expr = expr.replace(var, values[var])
    return expr

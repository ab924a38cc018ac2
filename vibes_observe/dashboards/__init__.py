"""Grafana dashboards as code (grafana-foundation-sdk): ``render(slug)`` gives the committed JSON.

Each module builds one dashboard; ``python -m vibes_observe.generate`` writes them to
``dashboards/<slug>.json`` and ``--check`` fails when the committed JSON drifts.
"""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as db

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

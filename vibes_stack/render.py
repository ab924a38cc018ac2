"""The native plan: every component of the registry rendered for this host (one local process each).

Pure: reads templates, writes nothing. The deploy writes what this returns, and a
component's ``config_hash`` (files + argv + env) decides whether it restarts.
"""
from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import components, paths
from .components import Absent, ComponentSpec, NativePlacement, Placement
from .config import StackConfig

#: one rendered component (the public name callers have used since the first release)
ComponentPlan = ComponentSpec


@dataclass
class StackPlan:
    mode: str
    state_dir: str
    components: dict[str, ComponentPlan]   # in start order
    notices: list[str] = field(default_factory=list)

    def ordered(self) -> list[ComponentPlan]:
        return list(self.components.values())


def render_all(cfg: StackConfig, place: Placement, only: Collection[str] | None = None,
               registry: Sequence[components.Component] = components.ALL
               ) -> tuple[dict[str, ComponentSpec], list[str]]:
    """Every component's spec of ``registry`` for ``place`` (start order; ``only`` these names when
    given), and the notices: those of what runs first, then why the rest does not."""
    specs: dict[str, ComponentSpec] = {}
    absent: list[str] = []
    for component in registry:
        if only is not None and component.name not in only:
            continue
        spec = component.spec(cfg, place)
        if isinstance(spec, Absent):
            absent += [spec.notice] if spec.notice else []
        else:
            specs[component.name] = spec
    return specs, [n for s in specs.values() for n in s.notices] + absent


def render_native(cfg: StackConfig, state_dir: Path | str, binaries: dict[str, str | None],
                  *, python: str | None = None) -> StackPlan:
    """The native plan: one local process per component, everything on ``bind_address``."""
    st = paths.StateLayout(state_dir)
    specs, notices = render_all(cfg, NativePlacement(cfg, st, binaries, python))
    for spec in specs.values():
        spec.cwd = spec.cwd or str(st.root)
    return StackPlan("native", str(st.root), specs, notices)

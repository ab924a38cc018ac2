"""A component written the way every stack component is: this one module is all it takes."""
from __future__ import annotations

from vibes_stack.components import Component, ComponentSpec, Placement

NAME = "noop"


def spec(cfg, place: Placement) -> ComponentSpec:
    config, seen = place.config_file(NAME, "noop.conf")
    return ComponentSpec(NAME, [*place.executable(NAME), f"--config={seen}", f"--listen={place.listen}:1"],
                         health_url=place.url(1, "/ready"), url=place.url(1), files={config: "on = true\n"},
                         dirs=[str(place.state.data / NAME)], published=[1])


COMPONENT = Component(NAME, spec, after=("collector",), executables=("noop-binary",), memory_limit="64m",
                      image_key="collector")  # any pinned image will do for a component that is never run

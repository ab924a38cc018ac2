"""The version pins (stack/versions.yaml) and progress output: what every binary source shares
(the Go builds in ``binaries``, the Maven fetches in ``cassandra`` and ``zipkin``)."""
from __future__ import annotations

from typing import Any

import yaml

from . import paths


def say(line: str) -> None:
    """Progress output that shows up at once, even when stdout is a CI pipe."""
    print(line, flush=True)


def versions() -> dict[str, Any]:
    return yaml.safe_load(paths.VERSIONS_FILE.read_text())

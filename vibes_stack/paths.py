"""Where things live: the repo's stack/ dir, the binary cache, the state dir."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
STACK_DIR = REPO_ROOT / "stack"
TEMPLATES_DIR = STACK_DIR / "templates"
GROUP_DATA_FILE = STACK_DIR / "group_data" / "all.py"
VERSIONS_FILE = STACK_DIR / "versions.yaml"
USER_CONFIG = STACK_DIR / "stack.yaml"
PROVISIONING_DIR = REPO_ROOT / "provisioning"
DASHBOARDS_DIR = REPO_ROOT / "dashboards"


def cache_bin_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vibes-observe" / "bin"


def default_state_dir() -> Path:
    return Path(os.environ.get("VIBES_HOME") or Path.home() / ".local" / "share" / "vibes-observe")


class StateLayout:
    """The fixed layout of one stack's state directory."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()

    @property
    def config(self) -> Path:  # rendered configs, one sub dir per component
        return self.root / "config"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def run(self) -> Path:  # pid files, config hashes, process specs
        return self.root / "run"

    @property
    def logs(self) -> Path:  # component stdout/stderr
        return self.root / "logs"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets"

    @property
    def log_store(self) -> Path:  # native log store: OTLP-JSON lines from the file exporter
        return self.data / "logs"

    def component_log(self, component: str) -> Path:
        return self.logs / f"{component}.log"


"""Shared helpers for the alerting unit tests: the Prometheus/Alertmanager CLIs are required."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
RULES_DIR = REPO / "alert_rules"


def _tool(name: str) -> str:
    path = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
    if path is None:  # a missing tool must fail the suite, never skip it
        pytest.fail(f"{name} is not installed (Debian: apt-get install prometheus prometheus-alertmanager); "
                    "the rule and Alertmanager checks cannot run", pytrace=False)
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _tool("promtool")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _tool("amtool")


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300)

"""Drive the TUI in a real terminal (tmux): it shows the workload's figures, refreshes,
and quits on `q`."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "cli"))
import workload as wl  # noqa: E402

pytestmark = pytest.mark.integration


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def _wait_pane(session: str, predicate, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    pane = ""
    while time.monotonic() < deadline:
        pane = _tmux("capture-pane", "-p", "-t", session)
        if predicate(pane):
            return pane
        time.sleep(0.5)
    raise AssertionError(f"dashboard never showed what was expected; last screen:\n{pane}")


def test_dashboard_in_tmux(stack, tmp_path):
    assert shutil.which("tmux"), "tmux is required to drive the TUI"
    work = wl.send(wl.make_workload(), stack.otlp_http_endpoint)
    wl.wait_until_landed(work, stack)
    session = f"vibes-tui-{uuid.uuid4().hex[:6]}"
    done = tmp_path / "exit-code"
    env = " ".join(f"{k}={shlex.quote(v)}" for k, v in wl.cli_env(stack).items()
                   if k.startswith("VIBES_") or k in ("PATH", "HOME"))
    exe = Path(sys.executable).with_name("vibes")
    # COLUMNS/LINES as the window: a tmux server started elsewhere may carry stale ones
    cmd = (f"env {env} TERM=xterm-256color COLUMNS=180 LINES=32 {exe} observe dashboard --interval 1 --agent {work.agent}; "
           f"echo $? > {done}")
    _tmux("new-session", "-d", "-s", session, "-x", "180", "-y", "32", cmd)
    try:
        pane = _wait_pane(session, lambda p: work.agent[:12] in p and "cost today" in p)
        assert "requests" in pane and "error rate" in pane and "latency p50/p95/p99" in pane
        tiles = pane.splitlines()[2]
        assert tiles.split("│")[1].strip() == "4"  # requests
        assert "25.0%" in tiles  # 1 of 4 failed
        assert "2,100 / 500" in tiles  # tokens in / out
        assert "$0.0172 +1 unpriced" in tiles  # cost today; the unpriced call is flagged
        for model in ("gpt-4o", "claude-sonnet-4", "mystery-model-x"):
            assert model in pane
        mystery = next(l for l in pane.splitlines() if "mystery-model-x" in l)
        assert "unpriced" in mystery
        assert "firing alerts" in pane
        first = next(l for l in pane.splitlines() if "updated" in l)
        _wait_pane(session, lambda p: next(l for l in p.splitlines() if "updated" in l) != first, 10)
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists(), "the dashboard did not quit on q"
        assert done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

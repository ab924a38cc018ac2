"""Drive the Textual dashboard in a real terminal (tmux): it shows the workload's figures,
switches view on a key, and quits on `q` with exit code 0."""

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
    cmd = (f"env {env} TERM=xterm-256color COLUMNS=200 LINES=50 {exe} observe dashboard --interval 1 --agent {work.agent}; "
           f"echo $? > {done}")
    _tmux("new-session", "-d", "-s", session, "-x", "200", "-y", "50", cmd)
    try:
        pane = _wait_pane(session, lambda p: "mystery-model-x" in p and "2,100 / 500" in p)
        assert f"agent={work.agent}" in pane  # the scope is in the title line
        for title in ("requests", "tokens in / out", "cost", "latency avg / p99", "success / error rate",
                      "top models", "top tools", "firing alerts"):
            assert title in pane, title
        assert "today $0.0172 +1 unpriced" in pane  # the unpriced call is flagged, never $0
        assert "75.0% / 25.0%" in pane  # 1 of 4 calls failed
        for model in ("gpt-4o", "claude-sonnet-4", "mystery-model-x"):
            assert model in pane
        _tmux("send-keys", "-t", session, "s")
        _wait_pane(session, lambda p: work.session_id in p, 15)
        _tmux("send-keys", "-t", session, "q")
        deadline = time.monotonic() + 10
        while not done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert done.exists(), "the dashboard did not quit on q"
        assert done.read_text().strip() == "0"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)

"""`vibes observe logs --follow` stops cleanly on SIGINT and SIGTERM, also when the process
inherited them ignored (a background job of a non-interactive shell ignores SIGINT)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

VIBES = Path(sys.executable).with_name("vibes")


def _ignore(signals):
    def preexec():
        for sig in signals:
            signal.signal(sig, signal.SIG_IGN)  # survives exec: the CLI starts with them ignored
    return preexec


@pytest.mark.parametrize("inherited_ignored", [(), (signal.SIGINT, signal.SIGTERM)], ids=["default", "ignored"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_follow_stops_on_signal(tmp_path, sig, inherited_ignored):
    env = dict(os.environ, VIBES_LOG_DIR=str(tmp_path), NO_COLOR="1")
    proc = subprocess.Popen([str(VIBES), "observe", "logs", "--follow", "--source", "files"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=_ignore(inherited_ignored))
    try:
        # the initial read is done (its summary line is printed) before following starts
        first = proc.stderr.readline()
        assert "0 record(s)" in first, first + proc.stderr.read()
        proc.send_signal(sig)
        assert proc.wait(timeout=15) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

"""`up` fails fast when a component cannot start, naming it with its log tail; nothing is left running."""
from __future__ import annotations

import socket
import subprocess
import sys

import yaml

from vibes_stack import config, supervisor


def test_up_names_the_component_that_cannot_start(tmp_path):
    keys = list(config.load_defaults()["ports"])
    socks = [socket.socket() for _ in keys]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = {k: s.getsockname()[1] for k, s in zip(keys, socks)}
    for k, s in zip(keys, socks):
        if k != "prometheus":
            s.close()
    blocker = socks[keys.index("prometheus")]
    blocker.listen()  # something else already serves Prometheus's port
    cfg = tmp_path / "stack.yaml"
    cfg.write_text(yaml.safe_dump({"ports": ports}))
    state = tmp_path / "state"
    base = [sys.executable, "-m", "vibes_stack", "--mode", "native", "--config", str(cfg), "--state-dir", str(state)]
    try:
        proc = subprocess.run(base + ["up"], capture_output=True, text=True, timeout=300)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert proc.stderr.startswith("FAILED: prometheus: "), proc.stderr
        assert "address already in use" in proc.stderr  # its log tail
    finally:
        blocker.close()
        subprocess.run(base + ["down"], capture_output=True, text=True, timeout=300)
        for pid_file in (state / "run").glob("*.pid"):
            supervisor.stop(state / "run", pid_file.stem)
    assert not any(supervisor.read_pid(state / "run", c) for c in ("collector", "jaeger", "alertmanager"))

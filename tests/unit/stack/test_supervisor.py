"""The native supervisor with real processes: start/health/stop, pid-reuse safety, fail fast with the log tail."""
from __future__ import annotations

import socket
import sys
import time

import pytest

from vibes_stack import supervisor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spec(tmp_path, name, argv, port) -> dict:
    return {"name": name, "argv": argv, "env": {}, "cwd": str(tmp_path), "dirs": [str(tmp_path / "data")],
            "health_url": f"http://127.0.0.1:{port}/", "config_hash": "h1", "run_dir": str(tmp_path / "run"),
            "log": str(tmp_path / "logs" / f"{name}.log")}


def test_start_probe_stop_a_real_server(tmp_path):
    port = _free_port()
    spec = _spec(tmp_path, "web", [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"], port)
    try:
        pid = supervisor.start(spec)
        assert supervisor.healthy(spec["health_url"])
        assert supervisor.probe(tmp_path / "run", "web") == {"component": "web", "running": True, "pid": pid, "hash": "h1"}
        assert supervisor.start(spec) == pid  # already running: nothing new started
        assert (tmp_path / "data").is_dir()
    finally:
        assert supervisor.stop(tmp_path / "run", "web")
    assert supervisor.probe(tmp_path / "run", "web")["running"] is False
    assert not supervisor.healthy(spec["health_url"], timeout=0.5)
    assert "starting web" in (tmp_path / "logs" / "web.log").read_text()


def test_a_recycled_pid_is_not_ours(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    import os
    (run / "x.pid").write_text(f"{os.getpid()} 1\n")  # our own pid, wrong start time
    assert supervisor.read_pid(run, "x") is None
    assert supervisor.stop(run, "x") is False        # and it is never signalled


def test_a_crashing_component_fails_fast_naming_it_with_its_log_tail(tmp_path):
    port = _free_port()
    spec = _spec(tmp_path, "broken", [sys.executable, "-c", "print('config error: no such key foo'); raise SystemExit(3)"], port)
    t0 = time.monotonic()
    with pytest.raises(supervisor.ComponentFailed) as err:
        supervisor.start(spec)
    assert time.monotonic() - t0 < 10
    msg = str(err.value)
    assert msg.startswith("broken: exited with code 3") and "config error: no such key foo" in msg


def test_a_component_that_never_gets_healthy_times_out_with_its_log(tmp_path):
    spec = _spec(tmp_path, "silent", [sys.executable, "-c", "print('waiting'); import time; time.sleep(60)"], _free_port())
    try:
        with pytest.raises(supervisor.ComponentFailed, match=r"silent: not healthy at .* after 2s"):
            supervisor.start({**spec}, wait=False)
            supervisor.wait_healthy(spec, None, timeout=2)
    finally:
        supervisor.stop(tmp_path / "run", "silent")


def test_missing_binary_names_the_component(tmp_path):
    spec = _spec(tmp_path, "ghost", [str(tmp_path / "no-such-binary")], _free_port())
    with pytest.raises(supervisor.ComponentFailed, match="ghost: cannot start"):
        supervisor.start(spec)


def test_a_tcp_health_url_is_healthy_while_the_port_accepts_connections():
    # servers without HTTP (Cassandra's CQL port) are probed by connecting
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        url = f"tcp://127.0.0.1:{server.getsockname()[1]}"
        assert supervisor.healthy(url)
    assert not supervisor.healthy(url)

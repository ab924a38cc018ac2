"""The native supervisor with real processes: start/health/stop, pid-reuse safety, fail fast with the log tail."""
from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

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


STAND_IN = str(Path(__file__).parent / "stand_in.py")


def _stand_in(tmp_path, name, port, *flags, after=()) -> dict:
    """A process spec as the deploy writes it (spec files beside each other in the run dir)."""
    spec = {**_spec(tmp_path, name, [sys.executable, STAND_IN, str(port), *flags], port),
            "after": list(after), "health_timeout": 20}
    run = tmp_path / "run"
    run.mkdir(exist_ok=True)
    (run / f"{name}.json").write_text(json.dumps(spec))
    return spec


def _stop_all(tmp_path, *names):
    for name in names:
        supervisor.stop(tmp_path / "run", name)


def test_up_launches_every_component_before_waiting_for_any(tmp_path):
    # each answers its health check only once the other's port is open: waiting for one before launching
    # the next would never finish
    a, b = _free_port(), _free_port()
    specs = [_stand_in(tmp_path, "a", a, "--await", str(b)), _stand_in(tmp_path, "b", b, "--await", str(a))]
    try:
        reports = [json.loads(line) for line in supervisor.up(specs)]
        assert [(r["component"], r["action"]) for r in reports] == [("a", "started"), ("b", "started")]
        assert all(supervisor.healthy(s["health_url"]) for s in specs)
    finally:
        _stop_all(tmp_path, "a", "b")


def test_up_launches_a_component_once_what_it_starts_after_is_healthy(tmp_path):
    dep, dependent = _free_port(), _free_port()
    specs = [_stand_in(tmp_path, "dependent", dependent, "--require", f"http://127.0.0.1:{dep}/", after=["dep"]),
             _stand_in(tmp_path, "dep", dep)]  # listed first or not: the dependency decides
    try:
        supervisor.up(specs)
        assert all(supervisor.healthy(s["health_url"]) for s in specs)
        # already running with its config: nothing to do; a changed config hash: only that one restarts
        assert supervisor.up(specs) == []
        pid = supervisor.read_pid(tmp_path / "run", "dep")
        reports = [json.loads(line) for line in supervisor.up([specs[0], {**specs[1], "config_hash": "h2"}])]
        assert [(r["component"], r["action"]) for r in reports] == [("dep", "restarted")]
        assert supervisor.read_pid(tmp_path / "run", "dep") != pid
    finally:
        _stop_all(tmp_path, "dep", "dependent")


def test_up_names_what_failed_with_its_log_and_what_it_kept_from_starting_and_stops_nothing(tmp_path):
    specs = [_stand_in(tmp_path, "broken", _free_port(), "--fail", "config error: no such key foo"),
             _stand_in(tmp_path, "needs-broken", _free_port(), after=["broken"]),
             _stand_in(tmp_path, "fine", _free_port())]
    try:
        with pytest.raises(supervisor.ComponentFailed) as err:
            supervisor.up(specs)
        msg = str(err.value)
        assert msg.startswith("broken: exited with code 3") and "config error: no such key foo" in msg
        assert "needs-broken: not started: it starts after broken" in msg
        assert supervisor.read_pid(tmp_path / "run", "needs-broken") is None
        assert supervisor.healthy(specs[2]["health_url"])  # what started stays up
    finally:
        _stop_all(tmp_path, "broken", "needs-broken", "fine")

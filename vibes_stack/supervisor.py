"""Native process supervision: pid files, health polling, clean stop, fail fast with the log tail.

A process spec (``<state>/run/<component>.json``, written by the deploy) says how to run a
component. The pid file holds the pid and the process start time, so a recycled pid is
never mistaken for ours. ``<component>.hash`` records the config hash it was started with:
a differing hash is what makes the deploy restart it.

CLI (what the pyinfra operations run on the target host):
  python -m vibes_stack.supervisor up --spec FILE [--spec FILE …]   (starts or restarts each that needs it, see
                                                                    ``up``; a report per component)
  python -m vibes_stack.supervisor stop --spec FILE                 (a JSON report, see ``report``)
  On failure the reason on stderr, exit 1.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import Any

LOG_ROTATE_BYTES = 10 * 1024 * 1024
HEALTH_TIMEOUT_S = float(os.environ.get("VIBES_HEALTH_TIMEOUT", "90"))
STOP_TIMEOUT_S = 30.0
#: a local HTTP GET per poll: cheap, and each start waits on it (`make up` on the longest chain of them)
HEALTH_POLL_S = 0.05
#: how long a process we launched must outlive its first healthy answer (see ``kept_running``)
SETTLE_S = 0.3


class ComponentFailed(RuntimeError):
    """A component did not start or become healthy; the message names it and has its log tail."""


def _start_time(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22: start time in clock ticks


def read_pid(run_dir: Path, component: str) -> int | None:
    """The live pid of a component we started, or None."""
    pid_file = run_dir / f"{component}.pid"
    try:
        pid_text, started = pid_file.read_text().split()
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if _start_time(pid) != started:
        return None
    try:  # a zombie child of ours counts as dead
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return None
    except OSError:
        return None
    return pid


def probe(run_dir: Path | str, component: str) -> dict[str, Any]:
    run_dir = Path(run_dir)
    pid = read_pid(run_dir, component)
    hash_file = run_dir / f"{component}.hash"
    return {"component": component, "running": pid is not None, "pid": pid,
            "hash": hash_file.read_text().strip() if pid and hash_file.exists() else None}


def log_tail(log_file: Path | str, lines: int = 50) -> str:
    try:
        with open(log_file, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - 64 * 1024))
            return "\n".join(fh.read().decode(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def healthy(url: str, timeout: float = 2.0) -> bool:
    """2xx from an HTTP URL; for ``tcp://host:port`` (a server without HTTP, e.g. Cassandra's CQL) a
    connection accepted."""
    if url.startswith("tcp://"):
        host, port = url[len("tcp://"):].rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return True
        except OSError:
            return False
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return 200 <= resp.status < 300
    except Exception:
        return False


def load_spec(spec_file: Path | str) -> dict[str, Any]:
    return json.loads(Path(spec_file).read_text())


def start(spec: dict[str, Any], *, wait: bool = True) -> int:
    """Start the component unless it already runs; wait until healthy. Returns the pid."""
    pid = read_pid(Path(spec["run_dir"]), spec["name"])
    if pid is not None:
        return pid
    proc = launch(spec)
    if wait:
        wait_healthy(spec, proc)
    return proc.pid


def launch(spec: dict[str, Any]) -> subprocess.Popen:
    """Run the component's process (its own session, output to its log) and record its pid and config hash."""
    run_dir, name = Path(spec["run_dir"]), spec["name"]
    for d in spec.get("dirs", []):
        Path(d).mkdir(parents=True, exist_ok=True)
    run_dir.mkdir(parents=True, exist_ok=True)
    log = Path(spec["log"])
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists() and log.stat().st_size > LOG_ROTATE_BYTES:
        os.replace(log, log.with_suffix(".log.1"))
    env = {**os.environ, **spec.get("env", {})}
    with open(log, "ab") as out:
        out.write(f"\n=== {time.strftime('%Y-%m-%dT%H:%M:%S')} starting {name}: {' '.join(spec['argv'])}\n".encode())
        out.flush()
        try:
            proc = subprocess.Popen(spec["argv"], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    cwd=spec.get("cwd") or None, env=env, start_new_session=True)
        except OSError as exc:
            raise ComponentFailed(f"{name}: cannot start {spec['argv'][0]}: {exc}") from exc
    started = None
    for _ in range(50):  # /proc entry appears immediately, but be safe
        started = _start_time(proc.pid)
        if started:
            break
        time.sleep(0.01)
    _atomic_write(run_dir / f"{name}.pid", f"{proc.pid} {started}\n")
    _atomic_write(run_dir / f"{name}.hash", spec["config_hash"] + "\n")
    return proc


def needed(status: dict[str, Any], config_hash: str) -> str | None:
    """What a component in ``status`` (``probe``) needs to run with ``config_hash``: "start", "restart" or None."""
    if status["running"] and status["hash"] == config_hash:
        return None
    return "restart" if status["running"] else "start"


def up(specs: list[dict[str, Any]]) -> list[str]:
    """Start or restart every component of ``specs`` that needs it (``needed``), all at once: each is launched
    as soon as the components of its ``after`` (names; spec files beside its own) are healthy, and every
    health check is polled together, so start-up takes the longest chain, not the sum. Returns a ``report``
    per component launched; raises ``ComponentFailed`` naming each that failed (with its log tail) and each
    not started because something it starts after failed. Nothing that started is stopped."""
    actions = {s["name"]: needed(probe(s["run_dir"], s["name"]), s["config_hash"]) for s in specs}
    todo = {s["name"]: s for s in specs if actions[s["name"]]}
    answering = {name: threading.Event() for name in todo}  # set once it answered (or failed)
    reports: dict[str, str] = {}
    failed: dict[str, str] = {}
    not_started: dict[str, str] = {}

    def bring_up(spec: dict[str, Any]) -> None:
        name, run_dir = spec["name"], Path(spec["run_dir"])
        try:
            for dep in spec.get("after", []):
                if dep in answering:
                    answering[dep].wait()
                else:  # already running with its config: healthy, or it is named
                    wait_healthy(load_spec(run_dir / f"{dep}.json"))
            lost = [d for d in spec.get("after", []) if d in failed or d in not_started]
            if lost:
                not_started[name] = f"{name}: not started: it starts after {', '.join(lost)}"
                return
            t0 = time.monotonic()
            if actions[name] == "restart":
                stop(run_dir, name)
            proc = launch(spec)
            answered(spec, proc)
            answering[name].set()  # what starts after it goes now; it makes sure this one kept its port meanwhile
            kept_running(spec, proc)
            reports[name] = report(name, "restarted" if actions[name] == "restart" else "started", proc.pid,
                                   time.monotonic() - t0)
        except ComponentFailed as exc:
            failed[name] = str(exc)
        finally:
            answering[name].set()

    threads = [threading.Thread(target=bring_up, args=(spec,), name=f"up-{name}") for name, spec in todo.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if failed or not_started:  # what failed first (in start order), then what it kept from starting
        raise ComponentFailed("\n".join([failed[n] for n in todo if n in failed]
                                        + [not_started[n] for n in todo if n in not_started]))
    return [reports[n] for n in todo]


def wait_healthy(spec: dict[str, Any], proc: subprocess.Popen | None = None,
                 timeout: float | None = None) -> None:
    """Until healthy; ``proc`` when we launched it (then it must also outlive its first answer)."""
    answered(spec, proc, timeout)
    if proc is not None:
        kept_running(spec, proc)


def answered(spec: dict[str, Any], proc: subprocess.Popen | None = None, timeout: float | None = None) -> None:
    """Until the component answers its health URL; fails when it exits first or after its timeout."""
    # a component may need longer than the default (a JVM database joining its cluster)
    timeout = timeout or spec.get("health_timeout") or HEALTH_TIMEOUT_S
    name, deadline = spec["name"], time.monotonic() + timeout
    while time.monotonic() < deadline:
        if healthy(spec["health_url"]):
            return
        if proc is not None and proc.poll() is not None:
            raise ComponentFailed(f"{name}: exited with code {proc.returncode} during start-up; "
                                  f"last lines of {spec['log']}:\n{log_tail(spec['log'], 30)}")
        if proc is None and read_pid(Path(spec["run_dir"]), name) is None:
            raise ComponentFailed(f"{name}: not running; last lines of {spec['log']}:\n{log_tail(spec['log'], 30)}")
        time.sleep(HEALTH_POLL_S)
    raise ComponentFailed(f"{name}: not healthy at {spec['health_url']} after {timeout:.0f}s; "
                          f"last lines of {spec['log']}:\n{log_tail(spec['log'], 30)}")


def kept_running(spec: dict[str, Any], proc: subprocess.Popen) -> None:
    """A process that lost its port to another answers nothing (the other does): make sure it is still there."""
    time.sleep(SETTLE_S)
    if proc.poll() is not None:
        raise ComponentFailed(
            f"{spec['name']}: exited with code {proc.returncode} right after start-up (is "
            f"{spec['health_url']} served by another process?); last lines of {spec['log']}:\n"
            f"{log_tail(spec['log'], 30)}")


def stop(run_dir: Path | str, name: str, timeout: float = STOP_TIMEOUT_S) -> bool:
    """SIGTERM, then SIGKILL after ``timeout``. Returns True when something was stopped."""
    run_dir = Path(run_dir)
    pid = read_pid(run_dir, name)
    stopped = False
    if pid is not None:
        try:
            os.killpg(pid, signal.SIGTERM)  # its own session: children go too
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while read_pid(run_dir, name) is not None and time.monotonic() < deadline:
            _reap(pid)
            time.sleep(0.1)
        if read_pid(run_dir, name) is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            for _ in range(50):
                _reap(pid)
                if read_pid(run_dir, name) is None:
                    break
                time.sleep(0.1)
        stopped = True
    for suffix in (".pid", ".hash"):
        (run_dir / f"{name}{suffix}").unlink(missing_ok=True)
    return stopped


def kill(run_dir: Path | str, name: str) -> bool:
    """SIGKILL without a clean shutdown (tests of crash resilience). The pid file stays stale."""
    pid = read_pid(Path(run_dir), name)
    if pid is None:
        return False
    os.killpg(pid, signal.SIGKILL)
    for _ in range(100):
        _reap(pid)
        if read_pid(Path(run_dir), name) is None:
            return True
        time.sleep(0.05)
    return True


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


#: what ``report`` says a start/restart/stop did
ACTIONS = ("started", "restarted", "stopped", "not running")


def report(component: str, action: str, pid: int | None = None, seconds: float | None = None) -> str:
    """The one line start/restart/stop print: the deploy reads it back as the operation's result."""
    if action not in ACTIONS:
        raise ValueError(f"report action {action!r} is not one of {ACTIONS}")
    return json.dumps({"component": component, "action": action, "pid": pid,
                       "seconds": None if seconds is None else round(seconds, 1)})


def read_reports(stdout_lines: Iterable[str]) -> list[dict[str, Any]]:
    """The reports among an operation's stdout lines (``up`` prints one per component)."""
    reports = []
    for line in stdout_lines:
        try:
            data = json.loads(line)
        except ValueError:
            continue
        if isinstance(data, dict) and data.get("action") in ACTIONS and "component" in data:
            reports.append(data)
    return reports


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m vibes_stack.supervisor")
    p.add_argument("action", choices=("up", "stop"))
    p.add_argument("--spec", action="append", default=[], help="a process spec (up: several)")
    args = p.parse_args(argv)
    try:
        if args.action == "up":
            for line in up([load_spec(path) for path in args.spec]):
                print(line)
            return 0
        if len(args.spec) != 1:
            p.error("stop: one --spec")
        spec = load_spec(args.spec[0])
        print(report(spec["name"], "stopped" if stop(spec["run_dir"], spec["name"]) else "not running"))
    except ComponentFailed as exc:  # the reason alone: the deploy shows it as the operation's error
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

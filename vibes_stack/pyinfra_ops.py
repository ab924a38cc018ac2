"""Custom pyinfra facts and operations for supervised native processes and generated secrets.

Idempotency is real: the ``SupervisedProcess`` fact reads the pid file and the config hash
the process was started with; the ``supervised`` operation emits nothing when the
component runs with the wanted hash, a restart when the hash differs, a start when it is
down. ``pyinfra --dry`` (``make plan``) therefore shows exactly what ``make up`` would do.
"""
from __future__ import annotations

import json
import shlex

from pyinfra import host
from pyinfra.api import FactBase, operation


class SupervisedProcess(FactBase):
    """``{"running": bool, "pid": int|None, "hash": str|None}`` of one component."""

    def command(self, python, run_dir, component):
        return (f"{shlex.quote(python)} -m vibes_stack.supervisor probe "
                f"--run-dir {shlex.quote(run_dir)} --component {shlex.quote(component)}")

    def process(self, output):
        return json.loads("\n".join(output))


class FileExists(FactBase):
    def command(self, path):
        return f"test -e {shlex.quote(path)} && echo yes || echo no"

    def process(self, output):
        return output and output[0].strip() == "yes"


@operation()
def supervised(component: str, spec_path: str, config_hash: str, run_dir: str, python: str,
               present: bool = True):
    """Ensure ``component`` runs (healthy) with ``config_hash``, or is stopped (``present=False``)."""
    status = host.get_fact(SupervisedProcess, python=python, run_dir=run_dir, component=component)
    base = f"{shlex.quote(python)} -m vibes_stack.supervisor"
    if not present:
        if status["running"]:
            yield f"{base} stop --spec {shlex.quote(spec_path)}"
        else:
            host.noop(f"{component} is not running")
        return
    if status["running"] and status["hash"] == config_hash:
        host.noop(f"{component} runs with the current config (pid {status['pid']})")
        return
    action = "restart" if status["running"] else "start"
    yield f"{base} {action} --spec {shlex.quote(spec_path)}"


@operation()
def secret_file(path: str, nbytes: int = 32):
    """A random url-safe secret at ``path`` (0600), generated once and never rotated silently."""
    if host.get_fact(FileExists, path=path):
        host.noop(f"secret {path} exists")
        return
    q = shlex.quote(path)
    yield (f"mkdir -p $(dirname {q}) && chmod 700 $(dirname {q}) && umask 077 && "
           f"head -c {nbytes} /dev/urandom | base64 | tr -d '/+=\\n' > {q}.tmp && mv {q}.tmp {q}")


class ComposeServices(FactBase):
    """``{service: (config hash label, state)}`` of the project's containers."""

    def command(self, project):
        fmt = '{{.Label "com.docker.compose.service"}} {{.Label "vibes.config-hash"}} {{.State}}'
        return (f"docker ps -a --filter label=com.docker.compose.project={shlex.quote(project)} "
                f"--format {shlex.quote(fmt)}")

    def process(self, output):
        services = {}
        for line in output:
            parts = line.split()
            if len(parts) == 3:
                services[parts[0]] = (parts[1], parts[2])
        return services


@operation()
def compose_up(project: str, compose_file: str, hashes: dict):
    """`docker compose up -d --wait` unless every service already runs with its config hash."""
    current = host.get_fact(ComposeServices, project=project)
    stale = sorted(s for s, h in hashes.items() if current.get(s) != (h, "running"))
    if not stale:
        host.noop("every compose service runs with its current config")
        return
    yield (f"docker compose -p {shlex.quote(project)} -f {shlex.quote(compose_file)} "
           "up -d --wait --remove-orphans")


@operation()
def compose_down(project: str, compose_file: str):
    if not host.get_fact(ComposeServices, project=project):
        host.noop("no compose service exists")
        return
    yield f"docker compose -p {shlex.quote(project)} -f {shlex.quote(compose_file)} down"

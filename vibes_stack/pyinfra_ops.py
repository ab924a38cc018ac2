"""Custom pyinfra facts and operations for supervised native processes, their files and generated secrets.

Idempotency is real: the ``NativeHost`` fact reads, in one command on the host (``host_facts``), every
managed file's digest and mode, the directories, and each process's pid file and the config hash it
was started with. The native deploy reads it once and passes each operation its part: a file op emits
nothing when the content and mode match; ``supervised`` gets the components that do not run with their
wanted hash (``supervisor.needed``: restarted when the hash differs, started when down) and emits
nothing when there are none. ``pyinfra --dry`` (``make plan``) therefore shows exactly what ``make up``
would do.
"""
from __future__ import annotations

import io
import json
import posixpath
import shlex
from collections.abc import Sequence

from pyinfra import host
from pyinfra.api import FactBase, FileUploadCommand, operation

from .host_facts import digest


class NativeHost(FactBase):
    """``host_facts.read(request)`` on the host: files, directories, listed dirs, processes."""

    def command(self, python, request):
        return f"{shlex.quote(python)} -m vibes_stack.host_facts {shlex.quote(json.dumps(request, sort_keys=True))}"

    def process(self, output):
        return json.loads("\n".join(output))


class FileExists(FactBase):
    def command(self, path):
        return f"test -e {shlex.quote(path)} && echo yes || echo no"

    def process(self, output):
        return output and output[0].strip() == "yes"


@operation()
def supervised(components: Sequence[str], spec_paths: Sequence[str], python: str):
    """Start or restart ``components`` (each needs it: ``supervisor.needed`` of the ``NativeHost`` reading),
    launched in one ``supervisor up`` that returns once every one is healthy (or names what failed)."""
    if not components:
        host.noop("every component runs with its current config")
        return
    specs = " ".join(f"--spec {shlex.quote(p)}" for p in spec_paths)
    yield f"{shlex.quote(python)} -m vibes_stack.supervisor up {specs}"


@operation()
def stopped(component: str, spec_path: str, python: str, running: bool):
    """``component`` stopped (``running``: whether it runs now, from ``NativeHost``)."""
    if not running:
        host.noop(f"{component} is not running")
        return
    yield f"{shlex.quote(python)} -m vibes_stack.supervisor stop --spec {shlex.quote(spec_path)}"


@operation()
def rendered_file(path: str, content: str, mode: str, current: dict[str, str] | None):
    """``content`` at ``path`` with ``mode`` (octal, e.g. "644"); ``current``: what the host has
    (``host_facts``: sha256 and mode, None when missing)."""
    same_content = current is not None and current["sha256"] == digest(content.encode())
    if same_content and current["mode"] == mode:
        host.noop(f"{path} is up to date")
        return
    q = shlex.quote(path)
    if not same_content:  # the mode first: a secret's content is never readable by others, not even briefly
        yield f"mkdir -p {shlex.quote(posixpath.dirname(path))} && touch {q} && chmod {mode} {q}"
        yield FileUploadCommand(io.StringIO(content), path)
    yield f"chmod {mode} {q}"  # whatever the upload did to it


@operation()
def directory(path: str, exists: bool):
    """``path`` exists as a directory (``exists``: whether it does now, from ``host_facts``)."""
    if exists:
        host.noop(f"directory {path} exists")
        return
    yield f"mkdir -p {shlex.quote(path)}"


@operation()
def absent_file(path: str):
    """``path`` removed (the caller saw it listed by ``host_facts``)."""
    yield f"rm -f {shlex.quote(path)}"


@operation()
def secret_file(path: str, nbytes: int = 32, exists: bool | None = None):
    """A random url-safe secret at ``path`` (0600), generated once and never rotated silently.
    ``exists``: whether it does now, when the caller knows (else the ``FileExists`` fact asks)."""
    if exists if exists is not None else host.get_fact(FileExists, path=path):
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

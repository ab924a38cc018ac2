"""Run a pyinfra deploy function in-process and get its results back as data.

The same deploy function serves the pyinfra CLI (``stack/deploy.py``) and this runner. Here
the run goes through pyinfra's public API: an Inventory and a State are built, the deploy is
added (each operation's facts are read then, which is when pyinfra knows ``will_change``), and
unless it is a dry run the operations are executed. Every operation of every host comes back
as an ``OperationResult``: the dry-run prediction, what it did, and its own stderr on failure.

Targets: an inventory file in pyinfra's format (module-level lists are groups; hosts are names
or ``(name, data)``; ``<group>.py`` files in the group data directory add data), ``limit`` to
some groups or hosts, ``serial`` for one host at a time (a rolling restart stops at the first
host that fails).
"""
from __future__ import annotations

import logging
import runpy
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pyinfra.api import BaseStateCallback, Config, Inventory, State
from pyinfra.api.connect import connect_all, disconnect_all
from pyinfra.api.deploy import add_deploy
from pyinfra.api.exceptions import PyinfraError
from pyinfra.api.operations import run_ops

from . import paths

#: the inventory `make up` uses (this machine through pyinfra's @local connector)
LOCAL_INVENTORY = paths.STACK_DIR / "inventories" / "local.py"
GROUP_DATA_DIR = paths.STACK_DIR / "group_data"


class TargetError(ValueError):
    """A bad inventory or limit; the message names the file or the name."""


@dataclass(frozen=True)
class Targets:
    """Where a deploy goes: an inventory file, optionally limited to some of its groups or hosts."""
    inventory: str | Path = LOCAL_INVENTORY
    limit: tuple[str, ...] = ()
    serial: bool = False              # one host after the other (rolling restarts)
    group_data_dir: str | Path = GROUP_DATA_DIR


@dataclass(frozen=True)
class OperationResult:
    name: str
    will_change: bool                 # the dry-run prediction, from the facts read when it was added
    changed: bool = False             # it ran commands and they succeeded
    success: bool | None = None       # None: not executed (dry run, or its host stopped before it)
    stdout: tuple[str, ...] = ()
    error: str = ""                   # the operation's own stderr when it failed


@dataclass(frozen=True)
class HostResult:
    name: str
    operations: tuple[OperationResult, ...] = ()
    error: str = ""                   # could not connect, or the deploy could not be prepared
    started_at: float = 0.0           # time.monotonic() when its pass began and ended (with --serial a
    finished_at: float = 0.0          # pass is this one host: a rolling restart's order, as data)

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(op.success is False for op in self.operations)


@dataclass(frozen=True)
class RunResult:
    dry: bool
    hosts: tuple[HostResult, ...] = field(default_factory=tuple)

    @property
    def success(self) -> bool:
        return not any(h.failed for h in self.hosts)

    def planned(self) -> list[tuple[str, str]]:
        """``(host, operation)`` pairs a dry run says would change."""
        return [(h.name, op.name) for h in self.hosts for op in h.operations if op.will_change]

    def changed(self) -> list[tuple[str, OperationResult]]:
        return [(h.name, op) for h in self.hosts for op in h.operations if op.changed]

    def failures(self) -> list[tuple[str, str]]:
        """``(host, error text)`` of each failed host: its connect error or its failed operations'."""
        out = [(h.name, h.error) for h in self.hosts if h.error]
        out += [(h.name, op.error or f"operation {op.name!r} failed")
                for h in self.hosts for op in h.operations if op.success is False]
        return out


def load_inventory(path: str | Path = LOCAL_INVENTORY, group_data_dir: str | Path = GROUP_DATA_DIR) -> Inventory:
    """An Inventory from a pyinfra inventory file, with the group data files that match its groups."""
    path = Path(path)
    if not path.is_file():
        raise TargetError(f"inventory {path}: file not found")
    groups: dict[str, list] = {k: v for k, v in runpy.run_path(str(path)).items()
                               if not k.startswith("_") and isinstance(v, list)}
    groups.setdefault(path.stem, [h for hosts in groups.values() for h in hosts])  # pyinfra's file group
    names: list = []
    for hosts in groups.values():
        names += [h for h in hosts if _host_name(h) not in {_host_name(n) for n in names}]
    if not names:
        raise TargetError(f"inventory {path}: no hosts (a module-level list of host names is a group)")
    group_data = Path(group_data_dir)
    return Inventory((names, _data_file(group_data / "all.py")),
                     **{g: (hosts, _data_file(group_data / f"{g}.py")) for g, hosts in groups.items()})


def _host_name(entry: str | tuple[str, dict]) -> str:
    return entry[0] if isinstance(entry, tuple) else entry


def _data_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    return {k: v for k, v in runpy.run_path(str(path)).items()
            if not k.startswith("_") and not callable(v) and not hasattr(v, "__file__")}


def select_hosts(inventory: Inventory, limit: Sequence[str] = ()) -> list[str]:
    """Host names in inventory order, restricted to the named groups or hosts."""
    names = [h.name for h in inventory]
    if not limit:
        return names
    wanted: set[str] = set()
    for item in limit:
        if item in inventory.hosts:
            wanted.add(item)
        elif item in inventory.groups:
            wanted.update(h.name for h in inventory.get_group(item))
        else:
            raise TargetError(f"limit: {item!r} is neither a host nor a group of the inventory "
                              f"(hosts: {', '.join(names)}; groups: {', '.join(sorted(inventory.groups))})")
    return [n for n in names if n in wanted]


def run(deploy: Callable[..., None], *args: Any, targets: Targets = Targets(), dry: bool = False,
        progress: Callable[[str], None] | None = None, verbose: bool = False) -> RunResult:
    """Add ``deploy(*args)`` for every selected host and (unless ``dry``) execute it."""
    def make() -> Inventory:
        return load_inventory(targets.inventory, targets.group_data_dir)

    selected = select_hosts(make(), targets.limit)
    show_host = len(selected) > 1
    with _pyinfra_log(verbose):
        if not targets.serial:
            return RunResult(dry, _run_pass(make, selected, deploy, args, dry, progress, show_host))
        hosts: list[HostResult] = []
        for name in selected:  # a fresh State per host: inventory order, and nothing shared between hosts
            hosts += _run_pass(make, [name], deploy, args, dry, progress, show_host)
            if hosts[-1].failed:
                break
        return RunResult(dry, tuple(hosts))


def _run_pass(make: Callable[[], Inventory], names: list[str], deploy: Callable[..., None], args: tuple,
              dry: bool, progress: Callable[[str], None] | None, show_host: bool) -> tuple[HostResult, ...]:
    started_at = time.monotonic()
    inventory = make()
    state = State(inventory, Config(), initial_limit=[inventory.get_host(n) for n in names])
    callbacks = _Callbacks(progress, show_host)
    state.add_callback_handler(callbacks)
    errors: dict[str, str] = {}
    try:
        connect_all(state)
        add_deploy(state, deploy, *args)
        if not dry:
            run_ops(state)
    except PyinfraError as exc:  # every host failed, or the deploy could not be prepared
        errors = {n: str(exc) for n in names}
    finally:
        disconnect_all(state)
    errors.update(callbacks.connect_errors)
    finished_at = time.monotonic()
    results = []
    for name in names:
        host = inventory.get_host(name)
        ops = tuple(_operation_result(state, host, h) for h in state.get_op_order() if h in host.op_hash_order)
        failed_op = any(op.success is False for op in ops)
        results.append(HostResult(name, ops, "" if failed_op else errors.get(name, ""), started_at, finished_at))
    return tuple(results)


def _op_name(state: State, host, op_hash: str) -> str:
    """The name this host's operation was given. pyinfra shares one operation (and one set of names) among
    the hosts that reached the same line; each host's own ``name=`` stays in its global arguments."""
    own = state.get_op_data_for_host(host, op_hash).global_arguments.get("name")
    return own or ", ".join(sorted(state.get_op_meta(op_hash).names))


def _operation_result(state: State, host, op_hash: str) -> OperationResult:
    name = _op_name(state, host, op_hash)
    meta = state.get_op_data_for_host(host, op_hash).operation_meta
    will_change = bool(meta.will_change)
    if not meta.is_complete():
        return OperationResult(name, will_change)
    ok = meta.did_succeed()
    return OperationResult(name, will_change, changed=meta.did_change(), success=ok,
                           stdout=tuple(meta.stdout_lines), error="" if ok else meta.stderr.strip())


class _Callbacks(BaseStateCallback):
    """Progress as each operation finishes changing something; connect errors as data."""

    def __init__(self, progress: Callable[[str], None] | None, show_host: bool):
        self.progress, self.show_host = progress, show_host
        self.connect_errors: dict[str, str] = {}

    def host_connect_error(self, state: State, host, error) -> None:  # type: ignore[override]
        self.connect_errors[host.name] = f"cannot connect: {error}"

    def operation_end(self, state: State, op_hash) -> None:  # type: ignore[override]
        if self.progress is None:
            return
        for host in state.activated_hosts:
            if op_hash not in host.op_hash_order:
                continue
            meta = state.get_op_data_for_host(host, op_hash).operation_meta
            if meta.is_complete() and meta.did_change():
                self.progress(f"  ✓ {_op_name(state, host, op_hash)}" + (f" [{host.name}]" if self.show_host else ""))


@contextmanager
def _pyinfra_log(verbose: bool) -> Iterator[None]:
    """pyinfra logs its console view; results come back as data, so it is shown only on request."""
    log = logging.getLogger("pyinfra")
    handler: logging.Handler = logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler()
    propagate, level = log.propagate, log.level
    log.addHandler(handler)
    log.propagate = False
    if verbose:
        log.setLevel(logging.INFO)
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.propagate = propagate
        log.setLevel(level)

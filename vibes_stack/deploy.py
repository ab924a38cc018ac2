"""Orchestration shared by the CLI (`make up`) and the live-test fixture.

validate config → resolve binaries → render (nothing touched yet; any error stops here)
→ run the pyinfra deploy in-process (stack/dispatch.py through vibes_stack.pyinfra_run)
→ what changed, from the operations' results → readiness summary.
"""
from __future__ import annotations

import hashlib
import importlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import binaries as _binaries
from . import components as _components
from . import config as _config
from . import paths, pyinfra_run, supervisor
from .render import StackPlan, render_native


class DeployError(RuntimeError):
    pass


@dataclass
class Prepared:
    mode: str
    cfg: _config.StackConfig
    plan: StackPlan
    state: paths.StateLayout


@dataclass
class DeployResult:
    changed_files: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    run: pyinfra_run.RunResult | None = None

    @property
    def changed(self) -> bool:
        return bool(self.changed_files or self.started or self.restarted or self.stopped)


def docker_available() -> bool:
    if not shutil.which("docker"):
        return False
    try:
        return subprocess.run(["docker", "info"], capture_output=True, timeout=15).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def pick_mode(mode: str) -> str:
    mode = (mode or "auto").strip()
    if mode == "auto":
        return "compose" if docker_available() else "native"
    if mode not in ("native", "compose"):
        raise _config.StackConfigError(f"MODE: {mode!r} must be auto, native or compose")
    return mode


def prepare(mode: str, config_path: str | Path | None = None, *, state_dir: str | Path | None = None,
            user: dict[str, Any] | None = None, overrides: dict[str, Any] | None = None,
            install: bool = True, out: Callable[[str], None] = _binaries.say) -> Prepared:
    """Everything up to (not including) touching the state dir or any process."""
    mode = pick_mode(mode)
    if user is None:
        user = _config.read_user_config(config_path)
    cfg = _config.build(user, overrides=overrides)
    state = paths.StateLayout(state_dir or paths.default_state_dir())
    if mode == "compose":
        from .compose import render_compose
        plan = render_compose(cfg, state.root)
    else:
        bins = _binaries.resolve_all(cfg.binaries.explicit(), out=out, install=install)
        plan = render_native(cfg, state.root, bins)
    return Prepared(mode, cfg, plan, state)


def document(prep: Prepared, action: str) -> dict[str, Any]:
    """The JSON the pyinfra deploy reads ($VIBES_STACK_DOC)."""
    st = prep.state
    if prep.mode == "compose":
        return prep.plan.compose_doc(action)  # type: ignore[attr-defined]
    comps = []
    after = {c.name: c.after for c in _components.ALL}
    for c in prep.plan.ordered():  # ``after``: what it starts after, of what runs here (a fleet's peers run elsewhere)
        comps.append({"name": c.name, "after": [d for d in after[c.name] if d in prep.plan.components],
                      "argv": c.argv, "env": c.env, "cwd": c.cwd, "health_url": c.health_url, "url": c.url,
                      "files": c.files, "secret_files": sorted(c.secret_files), "dirs": c.dirs,
                      "config_hash": c.config_hash, "secrets": c.secrets, "pruned_dirs": c.pruned_dirs,
                      **({"health_timeout": c.health_timeout} if c.health_timeout else {})})
    return {"mode": prep.mode, "action": action, "state_dir": str(st.root), "run_dir": str(st.run),
            "logs_dir": str(st.logs), "python": os.path.abspath(sys.executable), "components": comps}


def stack_deploy(name: str = "deploy_stack"):
    """A deploy function of stack/dispatch.py (``deploy_stack(doc)``, ``deploy_fleet(docs)``), imported the
    way the pyinfra CLI imports stack/deploy.py (stack/ on the path, so its ``tasks`` package resolves)."""
    if str(paths.STACK_DIR) not in sys.path:
        sys.path.append(str(paths.STACK_DIR))
    return getattr(importlib.import_module("dispatch"), name)


def run_pyinfra(doc: dict[str, Any], *, dry: bool = False, progress: Callable[[str], None] | None = None,
                verbose: bool = False, targets: pyinfra_run.Targets = pyinfra_run.Targets(),
                ) -> tuple[int, pyinfra_run.RunResult]:
    """Run the stack's deploy in-process; exit status (0 = every host succeeded) and the results."""
    run = pyinfra_run.run(stack_deploy(), doc, targets=targets, dry=dry, progress=progress, verbose=verbose)
    return (0 if run.success else 1), run


def planned_changes(run: pyinfra_run.RunResult) -> list[str]:
    """Operation names a dry run says would change."""
    return [op for _host, op in run.planned()]


def plan_table(run: pyinfra_run.RunResult) -> str:
    """What `make plan` shows: each operation a dry run says would change (with its host when several)."""
    several = len(run.hosts) > 1
    return "\n".join(f"  ~ {op}" + (f"  [{host}]" if several else "") for host, op in run.planned())


def failure_text(run: pyinfra_run.RunResult) -> str:
    """Each failed operation's own error (a supervised component's names it and has its log tail)."""
    several = len(run.hosts) > 1
    return "\n".join((f"[{host}] " if several else "") + error for host, error in run.failures())


def _file_hashes(prep: Prepared) -> dict[str, str | None]:
    # pyinfra's file operations say whether they changed, not which file: the rendered files are compared
    hashes: dict[str, str | None] = {}
    for c in prep.plan.ordered():
        for p in c.files:
            try:
                hashes[p] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            except OSError:
                hashes[p] = None
    return hashes


def apply(prep: Prepared, action: str = "up", *, progress: Callable[[str], None] | None = None,
          verbose: bool = False, targets: pyinfra_run.Targets = pyinfra_run.Targets()) -> DeployResult:
    """Run the deploy; what changed comes from the operations' results (the supervisor's reports)."""
    before = _file_hashes(prep)
    rc, run = run_pyinfra(document(prep, action), progress=progress, verbose=verbose, targets=targets)
    result = DeployResult(changed_files=[p for p, h in _file_hashes(prep).items() if h != before.get(p)], run=run)
    by_action = {"started": result.started, "restarted": result.restarted, "stopped": result.stopped}
    for _host, op in run.changed():
        for report in supervisor.read_reports(op.stdout):
            if report["action"] in by_action:
                by_action[report["action"]].append(report["component"])
    if rc != 0:
        raise DeployError(failure_text(run))
    return result


def status_rows(prep: Prepared) -> list[tuple[str, str, str]]:
    rows = []
    for c in prep.plan.ordered():
        pid = supervisor.read_pid(prep.state.run, c.name) if prep.mode == "native" else None
        if supervisor.healthy(c.health_url):
            state = "healthy" + (f" (pid {pid})" if pid else "")
        elif pid:
            state = f"UNHEALTHY (pid {pid})"
        else:
            state = "stopped"
        rows.append((c.name, state, c.url))
    return rows


def format_summary(rows: list[tuple[str, str, str]], notices: list[str]) -> str:
    w1 = max(len(r[0]) for r in rows) if rows else 9
    w2 = max(len(r[1]) for r in rows) if rows else 5
    lines = [f"{'component':<{w1}}  {'state':<{w2}}  url", f"{'-' * w1}  {'-' * w2}  ---"]
    lines += [f"{n:<{w1}}  {s:<{w2}}  {u}" for n, s, u in rows]
    lines += [f"note: {n}" for n in notices]
    return "\n".join(lines)


def wait_all_healthy(prep: Prepared, timeout: float = 60) -> list[str]:
    deadline = time.monotonic() + timeout
    bad = [c.name for c in prep.plan.ordered()]
    while bad and time.monotonic() < deadline:
        bad = [c.name for c in prep.plan.ordered() if not supervisor.healthy(c.health_url)]
        if bad:
            time.sleep(supervisor.HEALTH_POLL_S)
    return bad

"""Orchestration shared by the CLI (`make up`) and the live-test fixture.

validate config → resolve binaries → render (nothing touched yet; any error stops here)
→ run the pyinfra deploy (stack/deploy.py) → observe what changed → readiness summary.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from . import binaries as _binaries
from . import config as _config
from . import paths, supervisor
from .render import StackPlan, render_native


class DeployError(RuntimeError):
    pass


@dataclass
class Prepared:
    mode: str
    cfg: dict[str, Any]
    plan: StackPlan
    state: paths.StateLayout


@dataclass
class DeployResult:
    changed_files: list[str] = field(default_factory=list)
    started: list[str] = field(default_factory=list)
    restarted: list[str] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    pyinfra_output: str = ""

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
        bins = _binaries.resolve_all(cfg.get("binaries") or {}, out=out, install=install)
        plan = render_native(cfg, state.root, bins)
    return Prepared(mode, cfg, plan, state)


def document(prep: Prepared, action: str) -> dict[str, Any]:
    """The JSON the pyinfra deploy reads ($VIBES_STACK_DOC)."""
    st = prep.state
    if prep.mode == "compose":
        return prep.plan.compose_doc(action)  # type: ignore[attr-defined]
    comps = []
    for c in prep.plan.ordered():
        comps.append({"name": c.name, "argv": c.argv, "env": c.env, "cwd": c.cwd, "health_url": c.health_url,
                      "url": c.url, "files": c.files, "secret_files": sorted(c.secret_files), "dirs": c.dirs,
                      "config_hash": c.config_hash,
                      "rules_dir": str(st.config / "prometheus" / "rules") if c.name == "prometheus" else None})
    token = str(st.secrets / "otlp_token") if prep.cfg["collector"]["bearer_token_auth"] else None
    return {"mode": prep.mode, "action": action, "state_dir": str(st.root), "run_dir": str(st.run),
            "logs_dir": str(st.logs), "python": os.path.abspath(sys.executable), "components": comps,
            "collector_token_file": token,
            "grafana_password_file": str(st.secrets / "grafana_admin_password")}


def run_pyinfra(doc: dict[str, Any], *, dry: bool = False,
                progress: Callable[[str], None] | None = None) -> tuple[int, str]:
    """Run stack/deploy.py through the pyinfra CLI; ``progress`` gets one line per changing operation."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="vibes-stack-doc-", delete=False) as fh:
        json.dump(doc, fh)
        doc_path = fh.name
    os.chmod(doc_path, 0o600)
    try:
        # --dry without -y: pyinfra prints its change-detection table and stops
        argv = [sys.executable, "-m", "pyinfra"] + (["--dry"] if dry else ["-y"])
        argv += ["inventories/local.py", "deploy.py"]
        env = {**os.environ, "VIBES_STACK_DOC": doc_path,
               "PYTHONPATH": os.pathsep.join([str(paths.REPO_ROOT), str(paths.STACK_DIR),
                                              os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
        proc = subprocess.Popen(argv, cwd=paths.STACK_DIR, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, bufsize=1)
        lines: list[str] = []
        operation = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("--> Starting operation: "):
                operation = line.split(": ", 1)[1].strip()
            elif progress and operation and line.strip() == "[@local] Success":
                progress(f"  ✓ {operation}")
        return proc.wait(), "".join(lines)
    finally:
        os.unlink(doc_path)


def plan_table(output: str) -> str:
    """The change-detection table of a dry run (what `make plan` shows)."""
    lines = output.splitlines()
    start = next((i for i, l in enumerate(lines) if "Detected changes" in l), None)
    if start is None:
        return output
    end = next((i for i in range(start + 1, len(lines)) if not lines[i].strip()), len(lines))
    return "\n".join(lines[start:end])


def planned_changes(output: str) -> list[str]:
    """Operation names a dry run says would change."""
    changed = []
    for line in plan_table(output).splitlines()[2:]:
        cols = re.split(r"\s{2,}", line.strip())
        if len(cols) >= 2 and cols[1] != "-":
            changed.append(cols[0])
    return changed


def _snapshot(prep: Prepared) -> dict[str, Any]:
    files: dict[str, str | None] = {}
    pids: dict[str, int | None] = {}
    for c in prep.plan.ordered():
        for p in c.files:
            try:
                files[p] = hashlib.sha256(Path(p).read_bytes()).hexdigest()
            except OSError:
                files[p] = None
        pids[c.name] = supervisor.read_pid(prep.state.run, c.name)
    return {"files": files, "pids": pids}


def apply(prep: Prepared, action: str = "up", *, progress: Callable[[str], None] | None = None) -> DeployResult:
    """Run the deploy and report what actually changed (observed, not predicted)."""
    before = _snapshot(prep)
    rc, output = run_pyinfra(document(prep, action), progress=progress)
    after = _snapshot(prep)
    result = DeployResult(pyinfra_output=output)
    result.changed_files = [p for p in after["files"] if after["files"][p] != before["files"].get(p)]
    for name, pid in after["pids"].items():
        old = before["pids"].get(name)
        if pid and not old:
            result.started.append(name)
        elif pid and old and pid != old:
            result.restarted.append(name)
        elif old and not pid:
            result.stopped.append(name)
    if rc != 0:
        failed = _supervisor_failure(output)
        raise DeployError(failed if failed else
                          f"deploy failed (pyinfra exit {rc}):\n" + "\n".join(output.splitlines()[-40:])
                          + _unhealthy_tails(prep))
    return result


def _supervisor_failure(output: str) -> str:
    """The supervisor's own message (component name + log tail), without pyinfra's decoration."""
    lines = output.splitlines()
    start = next((i for i, l in enumerate(lines) if "FAILED " in l), None)
    if start is None:
        return ""
    out = []
    for line in lines[start:]:
        if "[@local] Error:" in line or not line.strip().startswith("[@"):
            break
        out.append(line.split("] ", 1)[1] if "] " in line else line)
    out[0] = out[0].split("FAILED ", 1)[1]
    return "\n".join(out)


def _unhealthy_tails(prep: Prepared) -> str:
    parts = []
    for c in prep.plan.ordered():
        if not supervisor.healthy(c.health_url):
            parts.append(f"\n--- {c.name} is not healthy; last lines of its log:\n"
                         + supervisor.log_tail(prep.state.component_log(c.name), 30))
    return "".join(parts)


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
            time.sleep(0.5)
    return bad

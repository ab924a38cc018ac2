"""User alert-rule files: validate with promtool, install atomically, reload Prometheus.

The order is the safety property: a file is checked by ``promtool check rules``
BEFORE it is placed in the rules directory, the placement is an atomic rename, and
if Prometheus still rejects the reload the previous file is put back. A bad rule
therefore never replaces a good rules file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from vibes_observe.clients import BackendError
from vibes_observe.clients.endpoints import state_dir
from vibes_observe.clients.prometheus import PrometheusClient

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class RuleError(Exception):
    """A rule file could not be checked or installed; the message says why."""


def user_rules_dir() -> Path:
    """Where user rule files live: ``$VIBES_RULES_DIR``, else the stack's
    ``<state>/config/prometheus/user-rules`` (globbed by the rendered prometheus.yml)."""
    env = os.environ.get("VIBES_RULES_DIR")
    return Path(env).expanduser() if env else state_dir() / "config" / "prometheus" / "user-rules"


def promtool() -> str:
    path = os.environ.get("VIBES_PROMTOOL") or shutil.which("promtool")
    if not path:
        raise RuleError("promtool not found on PATH (Debian: apt install prometheus; or set "
                        "VIBES_PROMTOOL): refusing to install a rule file that was not validated")
    return path


@dataclass(frozen=True)
class CheckResult:
    ok: bool
    output: str


def check(path: Path) -> CheckResult:
    """``promtool check rules PATH``: ok and promtool's own words."""
    if not path.is_file():
        raise RuleError(f"{path}: no such file")
    proc = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True,
                          text=True, timeout=60)
    return CheckResult(proc.returncode == 0, (proc.stdout + proc.stderr).strip())


def target_name(source: Path, name: str | None) -> str:
    final = name or source.name
    if not final.endswith((".yml",)):
        final = Path(final).stem + ".yml"  # the stack's prometheus.yml globs *.yml
    if not _SAFE_NAME.match(final):
        raise RuleError(f"rule file name {final!r}: use letters, digits, '.', '_' or '-'")
    return final


def generated_rules_dir() -> Path:
    """The stack's generated rule files (rendered by `make up`)."""
    return state_dir() / "config" / "prometheus" / "rules"


def rule_set(rules_dir: Path) -> list[Path]:
    """Every rule file Prometheus loads: the generated ones and the user ones."""
    files: list[Path] = []
    for folder in dict.fromkeys((generated_rules_dir(), rules_dir)):
        files += sorted(folder.glob("*.yml")) if folder.is_dir() else []
    return files


def check_set(files: list[Path]) -> CheckResult:
    """``promtool check rules`` over a whole rule set at once (exit code decides)."""
    proc = subprocess.run([promtool(), "check", "rules", *map(str, files)], capture_output=True,
                          text=True, timeout=120)
    return CheckResult(proc.returncode == 0, (proc.stdout + proc.stderr).strip())


def install(source: Path, prom: PrometheusClient, *, rules_dir: Path | None = None,
            name: str | None = None, reload: bool = True) -> Path:
    """Validate ``source``, atomically place it in the rules dir, reload Prometheus.

    Raises RuleError (nothing changed on disk) or, if Prometheus refuses the reload,
    restores the previous file before raising."""
    rules_dir = rules_dir or user_rules_dir()
    dest = rules_dir / target_name(source, name)
    result = check(source)
    if not result.ok:
        raise RuleError(f"{source} failed `promtool check rules`; {dest} left unchanged:\n{result.output}")
    return place(source.read_bytes(), dest, prom, reload=reload, what=str(source))


def place(data: bytes, dest: Path, prom: PrometheusClient, *, reload: bool = True, what: str = "the rule") -> Path:
    """Write ``data`` to ``dest`` only if promtool accepts the whole resulting rule set
    (temp file next to it, then an atomic rename); reload Prometheus, restore on refusal."""
    promtool()  # no validator, no change: fail before anything is created
    dest.parent.mkdir(parents=True, exist_ok=True)
    previous = dest.read_bytes() if dest.exists() else None
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        # The exact bytes about to go live: alone first (promtool's reason then names only
        # this rule), then with every other rule file Prometheus loads.
        alone = check(Path(tmp))
        if not alone.ok:
            raise RuleError(f"{what}: `promtool check rules` rejected it; {dest} left unchanged: "
                            f"{' '.join(alone.output.split())}")
        others = [f for f in rule_set(dest.parent) if f != dest]
        result = check_set([*others, Path(tmp)])
        if not result.ok:
            raise RuleError(f"{what}: `promtool check rules` rejected the resulting rule set (an installed "
                            f"rule file fails); {dest} left unchanged: {' '.join(result.output.split())}")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    if reload:
        _reload_or_restore(prom, dest, previous)
    return dest


def _reload_or_restore(prom: PrometheusClient, dest: Path, previous: bytes | None) -> None:
    try:
        prom.reload()
    except BackendError as exc:
        _restore(dest, previous)
        try:
            prom.reload()
        except BackendError:
            pass
        raise RuleError(f"Prometheus refused the reload, so {dest} was restored to its previous "
                        f"state: {exc}") from None


def _restore(dest: Path, previous: bytes | None) -> None:
    if previous is None:
        dest.unlink(missing_ok=True)
        return
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".restore", dir=dest.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(previous)
    os.replace(tmp, dest)


def remove(name: str, prom: PrometheusClient, *, rules_dir: Path | None = None) -> Path:
    rules_dir = rules_dir or user_rules_dir()
    dest = rules_dir / target_name(Path(name), None)
    if not dest.is_file():
        raise RuleError(f"no user rule file {dest.name!r} in {rules_dir}")
    previous = dest.read_bytes()
    dest.unlink()
    _reload_or_restore(prom, dest, previous)
    return dest

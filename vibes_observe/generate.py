"""Regenerate (or ``--check``) every committed generated artifact.

    python -m vibes_observe.generate          # write them
    python -m vibes_observe.generate --check  # exit 1 and list drift, write nothing

``ARTIFACTS`` is a list of (repo-relative path, producer) pairs; other parts register
their own artifacts with :func:`register`.
"""

from __future__ import annotations

import argparse
import difflib
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

Producer = Callable[[], str]
#: (repo-relative path, producer). Other parts append here with register(); the
#: alerting and dashboard artifacts are added the first time the list is used.
ARTIFACTS: list[tuple[str, Producer]] = []
_BUILTINS_ADDED = False


def register(path: str, producer: Producer) -> None:
    """Add a committed artifact; ``path`` is relative to the repo root."""
    if any(p == path for p, _ in ARTIFACTS):
        raise ValueError(f"generate: {path!r} is registered twice")
    ARTIFACTS.append((path, producer))


def _alerting_artifacts() -> None:
    from vibes_observe import alerting
    from vibes_observe.alerting.runbook import render_runbook

    cfg = alerting.validate(None)  # the shipped defaults
    rule_files = alerting.render_rule_files(cfg)
    for name in sorted(rule_files):
        register(f"alert_rules/{name}", lambda name=name: alerting.render_rule_files(cfg)[name])
    register("alert_rules/RUNBOOK.md", lambda: render_runbook(cfg))
    register("provisioning/alertmanager/alertmanager.yml",
             lambda: alerting.render_alertmanager_config(cfg, receiver_url="http://127.0.0.1:9097/alerts"))


def _dashboard_artifacts() -> None:
    from vibes_observe.dashboards import DASHBOARDS, render

    for slug in DASHBOARDS:
        register(f"dashboards/{slug}.json", lambda slug=slug: render(slug))


def _collector_artifacts() -> None:
    from vibes_stack import collector_pricing

    register(collector_pricing.ARTIFACT, collector_pricing.render)


def _default_artifacts() -> None:
    global _BUILTINS_ADDED
    if not _BUILTINS_ADDED:
        _BUILTINS_ADDED = True
        _alerting_artifacts()
        _dashboard_artifacts()
        _collector_artifacts()


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def drift(root: Path = REPO_ROOT) -> list[str]:
    """Unified diffs of every artifact whose committed text differs from its source."""
    _default_artifacts()
    out = []
    for rel, produce in ARTIFACTS:
        path = root / rel
        want = produce()
        have = path.read_text(encoding="utf-8") if path.exists() else ""
        if want != have:
            diff = "".join(difflib.unified_diff(have.splitlines(True), want.splitlines(True),
                                                f"{rel} (committed)", f"{rel} (generated)", n=1))
            out.append(diff or f"{rel}: missing\n")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vibes_observe.generate")
    parser.add_argument("--check", action="store_true", help="fail on drift, write nothing")
    args = parser.parse_args(argv)
    _default_artifacts()
    if args.check:
        diffs = drift()
        for d in diffs:
            sys.stdout.write(d[:4000] + ("\n...\n" if len(d) > 4000 else ""))
        if diffs:
            print(f"generate --check: {len(diffs)} generated artifact(s) drifted from their source; "
                  "run `make generate` and commit", file=sys.stderr)
            return 1
        print(f"generate --check: {len(ARTIFACTS)} artifacts up to date")
        return 0
    produced = [(rel, produce()) for rel, produce in ARTIFACTS]  # all or nothing
    for rel, text in produced:
        _write_atomic(REPO_ROOT / rel, text)
        print(f"wrote {rel}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

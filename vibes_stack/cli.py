"""`python -m vibes_stack --mode MODE [--config F] up|down|status|logs [component]|plan|clean|binaries`."""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

from . import binaries, config, deploy, fleet, paths, pyinfra_run, supervisor

USAGE_ERROR, FAILED = 2, 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m vibes_stack", description=__doc__)
    p.add_argument("--mode", default="auto", help="auto (compose when `docker info` works, else native) | native | compose")
    p.add_argument("--config", help="stack config YAML (default: stack/stack.yaml when present)")
    p.add_argument("--state-dir", help="state directory (default: $VIBES_HOME or ~/.local/share/vibes-observe)")
    p.add_argument("-v", "--verbose", action="store_true", help="show pyinfra's log of the run")
    p.add_argument("--inventory", default=str(pyinfra_run.LOCAL_INVENTORY),
                   help="pyinfra inventory file up/plan/down deploy to (default: this machine, @local)")
    p.add_argument("--limit", action="append", default=[], metavar="GROUP|HOST[,…]",
                   help="only these groups or hosts of the inventory (repeatable)")
    p.add_argument("--serial", action="store_true", help="one host after the other; stop at the first failure")
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="bring the stack up; ends with a readiness summary")
    sub.add_parser("down", help="stop every component")
    sub.add_parser("status", help="health of every component")
    logs = sub.add_parser("logs", help="tail component logs")
    logs.add_argument("component", nargs="?")
    logs.add_argument("-n", "--lines", type=int, default=50)
    logs.add_argument("-f", "--follow", action="store_true")
    sub.add_parser("plan", help="what `up` would change, changing nothing")
    clean = sub.add_parser("clean", help="stop and remove all stack data (asks first)")
    clean.add_argument("--yes", action="store_true", help="do not ask")
    sub.add_parser("binaries", help="resolve/build every native binary (with progress)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except config.StackConfigError as exc:
        print(f"stack config error: {exc}", file=sys.stderr)
        print("nothing was changed.", file=sys.stderr)
        return USAGE_ERROR
    except pyinfra_run.TargetError as exc:
        print(f"targets: {exc}", file=sys.stderr)
        print("nothing was changed.", file=sys.stderr)
        return USAGE_ERROR
    except (deploy.DeployError, binaries.BinaryError, supervisor.ComponentFailed) as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return FAILED


def _prepare(args, *, install: bool = True, quiet: bool = False) -> deploy.Prepared:
    out = (lambda _line: None) if quiet else binaries.say
    return deploy.prepare(args.mode, args.config, state_dir=args.state_dir, install=install, out=out)


def _targets(args) -> pyinfra_run.Targets:
    limit = tuple(name.strip() for item in args.limit for name in item.split(",") if name.strip())
    return pyinfra_run.Targets(inventory=args.inventory, limit=limit, serial=args.serial)


def _fleet(args, *, install: bool = True, quiet: bool = False) -> fleet.Fleet | None:
    """The fleet the inventory places (group data ``vibes_components``), or None: the whole stack per host."""
    targets = _targets(args)
    inventory = pyinfra_run.load_inventory(targets.inventory, targets.group_data_dir)
    if not fleet.is_fleet(inventory):
        return None
    if deploy.pick_mode(args.mode) != "native":
        raise config.StackConfigError(f"MODE: a fleet inventory ({args.inventory}) deploys native processes "
                                      "over SSH; use MODE=native")
    cfg = config.build(config.read_user_config(args.config))
    hosts = fleet.fleet_hosts(inventory)
    bins = binaries.resolve_all(cfg.binaries.explicit(), install=install, fleet=fleet.placed(hosts),
                                out=(lambda _line: None) if quiet else binaries.say)
    return fleet.render_fleet(cfg, hosts, bins)


def _fleet_command(args, fl: fleet.Fleet) -> int:
    cmd, targets = args.command, _targets(args)
    if cmd == "status":
        rows = fleet.status_rows(fl)
        print(deploy.format_summary(rows, fl.notices))
        return 0 if all(r[1] == "healthy" for r in rows) else FAILED
    if cmd not in ("up", "plan", "down"):
        print(f"{cmd}: not available for a fleet inventory (run it on the host)", file=sys.stderr)
        return USAGE_ERROR
    dry = cmd == "plan"
    result = fleet.apply(fl, "down" if cmd == "down" else "up", targets=targets, dry=dry,
                         progress=None if dry else binaries.say, verbose=args.verbose)
    if not result.run.success:
        raise deploy.DeployError(deploy.failure_text(result.run))
    if dry:
        return _print_plan(result.run)
    if result.nothing_changed:
        print("no changes: every component already runs with its current config")
    for host, actions in result.actions.items():
        print(f"  [{host}] " + "; ".join(f"{verb}: {', '.join(names)}" for verb, names in actions.items()))
    if cmd == "up":
        rows = fleet.status_rows(fl, [h.name for h in result.run.hosts])
        print()
        print(deploy.format_summary(rows, fl.notices))
        return 0 if all(r[1] == "healthy" for r in rows) else FAILED
    return 0


def _print_plan(run: pyinfra_run.RunResult) -> int:
    changes = deploy.planned_changes(run)
    if changes:
        print("`make up` would change:\n" + deploy.plan_table(run))
    print(f"\n{len(changes)} operation(s) would change; nothing was changed (dry run)."
          if changes else "no changes: `make up` would change nothing.")
    return 0


def _dispatch(args) -> int:
    cmd = args.command
    if cmd in ("up", "plan", "down", "status"):
        fl = _fleet(args, install=cmd == "up", quiet=cmd != "up")
        if fl is not None:
            return _fleet_command(args, fl)
    if cmd == "binaries":  # with a fleet inventory: also the tiers it places (Thanos, Cassandra)
        cfg = config.build(config.read_user_config(args.config))
        targets = _targets(args)
        inventory = pyinfra_run.load_inventory(targets.inventory, targets.group_data_dir)
        placed = fleet.placed(fleet.fleet_hosts(inventory)) if fleet.is_fleet(inventory) else set()
        print("resolving native binaries (explicit/PATH → cache → Debian → Go build):", flush=True)
        binaries.resolve_all(cfg.binaries.explicit(), fleet=placed)
        return 0
    if cmd == "up":
        t0 = time.monotonic()
        prep = _prepare(args)
        print(f"mode: {prep.mode}; state: {prep.state.root}", flush=True)
        result = deploy.apply(prep, "up", progress=binaries.say, verbose=args.verbose, targets=_targets(args))
        _print_changes(result)
        bad = deploy.wait_all_healthy(prep, timeout=30)
        print()
        print(deploy.format_summary(deploy.status_rows(prep), prep.plan.notices))
        _print_secrets(prep)
        print(f"\nready in {time.monotonic() - t0:.1f}s" if not bad else f"\nNOT ready: {', '.join(bad)}")
        return FAILED if bad else 0
    if cmd == "plan":
        prep = _prepare(args, install=False)
        rc, run = deploy.run_pyinfra(deploy.document(prep, "up"), dry=True, verbose=args.verbose,
                                     targets=_targets(args))
        if rc != 0:
            print(f"FAILED: {deploy.failure_text(run)}", file=sys.stderr)
            return FAILED
        return _print_plan(run)
    if cmd == "down":
        prep = _prepare(args, install=False, quiet=True)
        result = deploy.apply(prep, "down", verbose=args.verbose, targets=_targets(args))
        print("stopped: " + (", ".join(result.stopped) or "nothing was running"))
        return 0
    if cmd == "status":
        prep = _prepare(args, install=False, quiet=True)
        rows = deploy.status_rows(prep)
        print(deploy.format_summary(rows, prep.plan.notices))
        return 0 if all(r[1].startswith("healthy") for r in rows) else FAILED
    if cmd == "logs":
        return _logs(args)
    if cmd == "clean":
        return _clean(args)
    return USAGE_ERROR


def _print_changes(result: deploy.DeployResult) -> None:
    if not result.changed:
        print("no changes: every component already runs with its current config")
        return
    if result.changed_files:  # each was listed as it was written (✓ lines above)
        print(f"  {len(result.changed_files)} config file(s) changed")
    for verb, names in (("started", result.started), ("restarted", result.restarted), ("stopped", result.stopped)):
        if names:
            print(f"  {verb}: {', '.join(names)}")


def _print_secrets(prep: deploy.Prepared) -> None:
    if prep.cfg.collector.bearer_token_auth:
        print(f"OTLP bearer token: {prep.state.secrets / 'otlp_token'} (0600); "
              "send it as `Authorization: Bearer <token>`")
    pw = prep.state.secrets / "grafana_admin_password"
    shown = prep.state.secrets / ".grafana_password_shown"
    if "grafana" in prep.plan.components and pw.exists() and not shown.exists():
        print(f"Grafana admin password (shown once, stored 0600 in {pw}): {pw.read_text().strip()}")
        shown.touch()


def _logs(args) -> int:
    state = paths.StateLayout(args.state_dir or paths.default_state_dir())
    if args.mode != "native" and deploy.pick_mode(args.mode) == "compose":
        cmd = ["docker", "compose", "-p", "vibes-observe", "-f", str(state.root / "compose.yaml"), "logs",
               "--tail", str(args.lines)] + (["-f"] if args.follow else []) + ([args.component] if args.component else [])
        return subprocess.call(cmd)
    logs = sorted(state.logs.glob("*.log")) if state.logs.exists() else []
    if args.component:
        logs = [state.component_log(args.component)]
        if not logs[0].exists():
            print(f"logs: no log for component {args.component!r} in {state.logs}", file=sys.stderr)
            return USAGE_ERROR
    if not logs:
        print(f"logs: no component logs in {state.logs} (is the stack up?)", file=sys.stderr)
        return FAILED
    if args.follow:
        return subprocess.call(["tail", "-n", str(args.lines), "-F", *map(str, logs)])
    for log in logs:
        print(f"==> {log.stem} ({log}) <==")
        print(supervisor.log_tail(log, args.lines))
    return 0


def _clean(args) -> int:
    state = paths.StateLayout(args.state_dir or paths.default_state_dir())
    if not state.root.exists():
        print(f"nothing to clean: {state.root} does not exist")
        return 0
    if not args.yes:
        if not sys.stdin.isatty():
            print("clean: refusing to delete without confirmation; pass --yes", file=sys.stderr)
            return USAGE_ERROR
        answer = input(f"Stop the stack and delete ALL its data in {state.root}? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 0
    try:
        prep = _prepare(args, install=False, quiet=True)
        deploy.apply(prep, "down")
    except Exception as exc:  # stop what we can find, then delete anyway
        print(f"note: deploy-based stop failed ({exc}); stopping from pid files", file=sys.stderr)
    for pid_file in state.run.glob("*.pid") if state.run.exists() else []:
        supervisor.stop(state.run, pid_file.stem)
    shutil.rmtree(state.root)
    print(f"removed {state.root}")
    return 0

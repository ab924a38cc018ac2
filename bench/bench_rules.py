"""Recording rules at scale: how long each generated rule group takes to evaluate as the
number of series grows (model × agent × cost-center × service combinations).

For each size a fresh Prometheus (the stack's own binary) scrapes a synthetic exporter
serving that many combinations of every series the ledger reads (cost, tokens by type,
requests with their latency histogram, unpriced requests), with the committed rule files
(`alert_rules/vibes-recording.yml`, `vibes-alerts.yml`) evaluated every 10 s instead of every
minute. The figure is Prometheus' own `evaluationTime` per group (`/api/v1/rules`), the largest seen
over the last evaluations, next to the group's production interval.

Note: the TSDB starts empty, so the rules' long ranges read only the minutes of history this
run creates. With history, the 1-minute period rules still read at most 7 h of ledger per
series (the hours before come from the hourly checkpoint); the checkpoint group reads a
whole period (up to 31 days) once per its 1 h interval.
Usage: python bench/bench_rules.py [--sizes 10,100,1000,10000] [--port 29190] [--json] [--rules DIR]
       [--only GROUP,...] [--per-rule]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from vibes_observe.clients._http import get_json
from vibes_observe.clients.errors import BackendError
from vibes_sdk import names
from vibes_stack import binaries

ROOT = Path(__file__).resolve().parent.parent
RULE_FILES = ("vibes-recording.yml", "vibes-alerts.yml")
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "gemini-2.5-pro", "o3")


class Exposition:
    """Prometheus text exposition of ``size`` synthetic label combinations, growing per scrape."""

    def __init__(self) -> None:
        self.size = 0
        self.scrapes = 0

    def render(self) -> bytes:
        self.scrapes += 1
        n = self.scrapes
        cost, tokens = names.COST.prom, names.TOKENS.prom
        duration = names.OPERATION_DURATION.prom
        unpriced = names.UNPRICED_REQUESTS.prom
        lines = []
        for i in range(self.size):
            labels = (f'job="svc-{i % 20}",gen_ai_operation_name="chat",gen_ai_provider_name="p{i % 3}",'
                      f'gen_ai_request_model="{MODELS[i % len(MODELS)]}",gen_ai_agent_name="agent-{i // 20 % 50}",'
                      f'vibes_cost_center="cc-{i % 7}",combo="{i}"')
            lines.append(f"{cost}{{{labels}}} {n * 0.01}")
            lines.append(f'{tokens}{{{labels},gen_ai_token_type="input"}} {n * 100}')
            lines.append(f'{tokens}{{{labels},gen_ai_token_type="output"}} {n * 10}')
            lines.append(f"{unpriced}{{{labels}}} 0")
            for le in (*names.DURATION_BUCKETS, "+Inf"):
                lines.append(f'{duration}_bucket{{{labels},le="{le}"}} {n}')
            lines.append(f"{duration}_count{{{labels}}} {n}")
            lines.append(f"{duration}_sum{{{labels}}} {n * 0.5}")
        return ("\n".join(lines) + "\n").encode()


def _serve(expo: Exposition) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            body = expo.render()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def _rules_copy(rules_dir: Path, dest: Path, interval: str, only: set[str] | None = None) -> dict[str, str]:
    """The committed rule groups (recording and alerting; those named in ``only`` if given)
    with ``interval`` instead of theirs; returns the originals."""
    groups = [g for f in RULE_FILES for g in yaml.safe_load((rules_dir / f).read_text())["groups"]
              if only is None or g["name"] in only]
    production = {}
    for group in groups:
        production[group["name"]] = group.get("interval", "global")
        group["interval"] = interval
    dest.write_text(yaml.safe_dump({"groups": groups}, sort_keys=False))
    return production


def _rule_key(group: str, index: int, rule: dict) -> str:
    return f"{group}#{index} {rule.get('name', '?')}"


def measure(prometheus: str, rules_dir: Path, size: int, port: int, evaluations: int,
            only: set[str] | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """Worst evaluation time per group and per rule (``group#index name``)."""
    work = Path(tempfile.mkdtemp(prefix="vibes-bench-rules-"))
    expo = Exposition()
    expo.size = size
    server = _serve(expo)
    _rules_copy(rules_dir, work / "rules.yml", "10s", only)
    (work / "prometheus.yml").write_text(yaml.safe_dump({
        "global": {"scrape_interval": "5s", "evaluation_interval": "10s"},
        "rule_files": [str(work / "rules.yml")],
        "scrape_configs": [{"job_name": "synthetic", "honor_labels": True, "scrape_timeout": "5s",
                            "static_configs": [{"targets": [f"127.0.0.1:{server.server_address[1]}"]}]}]}))
    proc = subprocess.Popen([prometheus, f"--config.file={work / 'prometheus.yml'}",
                             f"--storage.tsdb.path={work / 'data'}", f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worst: dict[str, float] = {}
    worst_rule: dict[str, float] = {}
    try:
        deadline = time.monotonic() + 60 + 10 * evaluations
        seen: dict[str, set[str]] = {}
        while time.monotonic() < deadline:
            time.sleep(2)
            try:
                groups = get_json("prometheus", f"http://127.0.0.1:{port}", "/api/v1/rules",
                                  timeout=30)["data"]["groups"]
            except (BackendError, OSError):  # still starting, or too busy to answer this poll
                continue
            for g in groups:
                if g.get("lastEvaluation", "").startswith("0001"):
                    continue
                seen.setdefault(g["name"], set()).add(g["lastEvaluation"])
                if len(seen[g["name"]]) > 1:  # the first evaluation sees no history yet
                    worst[g["name"]] = max(worst.get(g["name"], 0.0), g["evaluationTime"])
                    for i, rule in enumerate(g["rules"]):
                        key = _rule_key(g["name"], i, rule)
                        worst_rule[key] = max(worst_rule.get(key, 0.0), rule.get("evaluationTime", 0.0))
            if seen and all(len(v) > evaluations for v in seen.values()):
                break
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:  # a loaded machine: shutting down 210 k series takes long
            proc.kill()
            proc.wait()
        server.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return worst, worst_rule


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10,100,1000,10000")
    ap.add_argument("--port", type=int, default=29190)
    ap.add_argument("--evaluations", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--rules", type=Path, default=ROOT / "alert_rules",
                    help="directory of the rule files to measure (another checkout's, to compare)")
    ap.add_argument("--only", default="",
                    help="comma-separated group names to load alone (no contention from the others)")
    ap.add_argument("--per-rule", action="store_true", help="also print each rule's worst evaluation time")
    args = ap.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None
    prometheus, _ = binaries.find("prometheus")
    if not prometheus:
        raise SystemExit("no prometheus binary: run `make up` (or `python -m vibes_stack binaries`) first")
    production = _rules_copy(args.rules, Path(tempfile.mkdtemp()) / "r.yml", "10s", only)
    results, per_rule = {}, {}
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"bench: {size} combinations ({size * (6 + len(names.DURATION_BUCKETS) + 1)} series)…",
              file=sys.stderr, flush=True)
        results[size], per_rule[size] = measure(str(prometheus), args.rules, size, args.port,
                                                 args.evaluations, only)
    if args.json:
        print(json.dumps({"production_intervals": production, "evaluation_seconds": results,
                          **({"rule_evaluation_seconds": per_rule} if args.per_rule else {})}))
        return 0
    groups = sorted({g for r in results.values() for g in r})
    print("rule-group evaluation time (s), worst of the last evaluations; production interval in brackets")
    print(f"{'combinations':>13}" + "".join(f"{g + ' [' + production.get(g, '?') + ']':>28}" for g in groups))
    for size, row in results.items():
        print(f"{size:>13}" + "".join(f"{row.get(g, float('nan')):>28.3f}" for g in groups))
    if args.per_rule:
        print("\nrule evaluation time (s), worst of the last evaluations")
        for size, rules in per_rule.items():
            for key, seconds in rules.items():
                print(f"{size:>13} {seconds:>9.3f}  {key}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

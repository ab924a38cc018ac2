"""`vibes observe` start-up latency, side by side in one run (a benchmark, not a test).

Runs each command as a fresh process (what a user waits for) ROUNDS times, interleaved,
and prints the median wall time next to the bare interpreter start and the targets:
  python -c pass                 interpreter floor
  vibes observe --help           target < 0.3 s (no command module is imported)
  vibes observe cost             target < 0.5 s on the demo data (needs the stack)
  eager: import every command    what --help cost before lazy loading
The stack is the one VIBES_PROMETHEUS_URL / VIBES_JAEGER_URL point at (default: make up).
Usage: python bench/bench_cli.py [--rounds R] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

VIBES = str(Path(sys.executable).with_name("vibes"))
EAGER = ("import vibes_observe.cli as c, importlib; "
         "[importlib.import_module(m.split(':')[0]) for m, _ in c.COMMANDS.values()]")
CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "vibes observe --help": [VIBES, "observe", "--help"],
    "vibes observe cost": [VIBES, "observe", "cost"],
    "eager: import every command": [sys.executable, "-c", EAGER],
}
TARGETS = {"vibes observe --help": 0.3, "vibes observe cost": 0.5}


def run_once(argv: list[str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    took = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv[-2:])} failed (exit {proc.returncode}); is the stack up (`make up`, "
                 f"`make demo`)?\n{proc.stderr.strip()}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for argv in CASES.values():  # warm the file cache once
        run_once(argv)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, argv in CASES.items():
            times[name].append(run_once(argv))
    medians = {name: statistics.median(t) for name, t in times.items()}
    floor = medians["python -c pass"]
    if args.json:
        print(json.dumps({"median_s": medians, "rounds": args.rounds, "targets_s": TARGETS}, indent=2))
        return
    print(f"median of {args.rounds} interleaved rounds, fresh process each")
    print(f"{'command':<32}{'seconds':>9}{'× python':>10}{'target':>9}")
    for name, value in medians.items():
        target = f"< {TARGETS[name]}" if name in TARGETS else ""
        print(f"{name:<32}{value:>9.3f}{value / floor:>10.1f}{target:>9}")


if __name__ == "__main__":
    main()

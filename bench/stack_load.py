"""Load through the native stack at a fixed rate with telemetrygen, and what it cost (bench_stack's knee search).

A step offers ``rate`` spans (traces of 5 spans) or log records per second for ``seconds``, counts
what was sent (exact: telemetrygen generates a fixed number per worker), accepted by the collector,
stored (acknowledged by the backend to the collector's exporter, once per item) and what the
backend itself counts (more than stored = batches written again after a retry), and samples every
component's CPU and RSS meanwhile. A step passes when nothing was lost (sent == accepted == stored
<= backend, nothing refused), the stack kept up (everything stored within ``DRAIN_S`` of the last
send: a backlog that only a queue absorbs is not a sustained rate), the generator really offered
the rate, and the stack's RSS stayed bounded.
"""

from __future__ import annotations

import math
import os
import resource
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

SPANS_PER_TRACE = 5
#: telemetrygen's limiter sleeps once per item; sleeps under ~1 ms overshoot, which capped one
#: worker near 1.8 k items/s whatever --rate asked (measured): workers stay well below that
PER_WORKER = 400
#: one OTLP exporter per process, one batch at a time, behind a 2,048-span queue that drops when
#: full: several processes export in parallel, in batches of the Go SDK's default size (16 and
#: then 8 workers per process with batches of 1,000 lost spans at 10 k/s on a busy machine)
WORKERS_PER_PROCESS = 4
BATCH = 512
DRAIN_S = 5.0           # everything stored within this after the last send = sustained
OFFERED_SHARE = 0.95    # below this share of the rate the step notes that the generator fell short
STACK_RSS_BOUND_MIB = 1024


@dataclass
class Counters:
    """Where a step's items are counted: each reader returns a running total."""
    accepted: Callable[[], float]
    refused: Callable[[], float]
    stored: Callable[[], float]
    backend: Callable[[], float]


@dataclass
class Usage:
    """CPU (% of one core) and peak RSS (MiB) per component, sampled while a step runs."""
    pids: dict[str, int]
    peak_rss: dict[str, float] = field(default_factory=dict)
    _cpu0: dict[str, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._cpu0 = {c: cpu_seconds(p) for c, p in self.pids.items()}
        self._t0 = time.monotonic()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            for c, p in self.pids.items():
                self.peak_rss[c] = max(self.peak_rss.get(c, 0.0), rss_mib(p) or 0.0)
            self._stop.wait(0.25)

    def cpu_pct(self) -> dict[str, float]:
        """CPU % of one core per component since start()."""
        dt = time.monotonic() - self._t0
        return {c: round(100 * (cpu_seconds(p) - self._cpu0[c]) / dt) for c, p in self.pids.items()}

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def generators(tool: str, signal: str, endpoint: str, rate: int, seconds: float,
               service: str) -> tuple[list[list[str]], int]:
    """telemetrygen command lines offering ``rate`` items/s together, and the exact items they send."""
    workers = max(1, math.ceil(rate / PER_WORKER))
    per_worker_rate = rate / workers
    if signal == "traces":
        per_worker = max(1, round(per_worker_rate * seconds / SPANS_PER_TRACE))
        count = ["--traces", str(per_worker), "--child-spans", str(SPANS_PER_TRACE - 1)]
        items_per_worker = per_worker * SPANS_PER_TRACE
    else:
        per_worker = max(1, round(per_worker_rate * seconds))
        count = ["--logs", str(per_worker)]
        items_per_worker = per_worker
    argvs, left = [], workers
    for _ in range(math.ceil(workers / WORKERS_PER_PROCESS)):
        n = min(WORKERS_PER_PROCESS, left)
        left -= n
        argvs.append([tool, signal, "--otlp-insecure", "--otlp-endpoint", endpoint, "--workers", str(n),
                      "--rate", f"{per_worker_rate:.1f}", "--batch-size", str(BATCH), *count, "--service", service])
    return argvs, workers * items_per_worker


def step(tool: str, signal: str, endpoint: str, rate: int, seconds: float, counters: Counters,
         pids: dict[str, int]) -> dict[str, Any]:
    """One rate held for ``seconds``: sent/accepted/stored, drain time, CPU and peak RSS per component."""
    service = f"bench-{signal}-{rate}-{time.time_ns() % 10**9}"
    argvs, sent = generators(tool, signal, endpoint, rate, seconds, service)
    before = (counters.accepted(), counters.refused(), counters.stored(), counters.backend())
    usage = Usage(pids)
    gen0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    usage.start()
    t0 = time.monotonic()
    procs = [subprocess.Popen(a, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for a in argvs]
    errors = [p.communicate(timeout=seconds * 10 + 60)[1] for p in procs]
    push_s = time.monotonic() - t0
    gen1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.cpu_pct()
    drained_s = None
    while time.monotonic() - t0 - push_s < 60:
        if counters.stored() - before[2] >= sent:
            drained_s = round(time.monotonic() - t0 - push_s, 1)
            break
        time.sleep(0.5)
    usage.stop()
    time.sleep(2)  # one more scrape of the counters after the queues drained
    accepted = int(counters.accepted() - before[0])
    stored = int(counters.stored() - before[2])
    refused = int(counters.refused() - before[1])
    backend = int(counters.backend() - before[3])
    failed = [e for p, e in zip(procs, errors) if p.returncode]
    gen_cpu = (gen1.ru_utime + gen1.ru_stime) - (gen0.ru_utime + gen0.ru_stime)
    rss_total = round(sum(usage.peak_rss.values()))
    row = {"target_per_s": rate, "offered_per_s": round(sent / push_s), "sent": sent, "accepted": accepted,
           "refused": refused, "stored": stored, "backend_counted": backend, "lost": sent - stored, "stored_after_last_send_s": drained_s,
           "cpu_pct": {**cpu, "telemetrygen": round(100 * gen_cpu / push_s)},
           "peak_rss_mib": {c: round(v) for c, v in usage.peak_rss.items()}, "peak_rss_total_mib": rss_total,
           "load_1m": round(os.getloadavg()[0], 1)}
    reasons = []
    if failed:
        reasons.append(f"{len(failed)} telemetrygen process(es) failed: " + failed[0].decode(errors="replace")[-300:])
    if sent != stored or sent != accepted or refused or backend < sent:
        reasons.append("loss")
    if drained_s is None or drained_s > DRAIN_S:
        reasons.append(f"backlog (stored {drained_s} s after the last send)")
    if rss_total > STACK_RSS_BOUND_MIB:
        reasons.append(f"stack RSS {rss_total} MiB > {STACK_RSS_BOUND_MIB}")
    row["pass"] = not reasons
    row["why_not"] = reasons
    row["generator_short"] = sent / push_s < OFFERED_SHARE * rate
    return row


def knee(run_step: Callable[[int], dict[str, Any]], rates: list[int], out: Callable[[str], None]) -> dict[str, Any]:
    """Steps in ascending ``rates`` until one fails: the knee is the last that passed."""
    rows = []
    for rate in rates:
        row = run_step(rate)
        rows.append(row)
        short = " (generator fell short)" if row["generator_short"] else ""
        out(f"  {rate:>6}/s: offered {row['offered_per_s']}/s{short}, sent {row['sent']}, stored {row['stored']}, "
            f"{'pass' if row['pass'] else 'FAIL: ' + '; '.join(row['why_not'])} (load {row['load_1m']})")
        if not row["pass"]:
            break
    passed = sorted((r for r in rows if r["pass"]), key=lambda r: r["offered_per_s"])
    return {"knee_per_s": passed[-1]["offered_per_s"] if passed else None,
            "at_knee": passed[-1] if passed else None, "steps": rows}

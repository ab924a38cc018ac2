"""A steady vibes_sdk load in its own process, for the fault tests.

    python sdk_load.py '{"service": ..., "seconds": 12, "rate": 20, "sdk": {init kwargs}}'

Each tick is one LLM call (one span, one request on the duration histogram) and one log
record. Prints a JSON line ``{"sent": n}`` every second while running (the test times its
faults on them) and, after ``vibes.shutdown``, one summary line: calls sent, drops by
signal/reason, RSS at start and peak (KiB), per-call time percentiles (µs).
"""
from __future__ import annotations

import json
import sys
import time

import vibes_sdk as vibes

MODEL = "vt-load"


def _rss_kib(field: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def _percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p * len(sorted_values)))]


def run(spec: dict) -> dict:
    vibes.init(service_name=spec["service"], **spec["sdk"])
    log = vibes.get_logger("vibes.load")
    rss_start = _rss_kib("VmRSS")
    period = 1.0 / spec["rate"]
    start = time.monotonic()
    sent, call_us, next_report = 0, [], start + 1
    while (now := time.monotonic()) < start + spec["seconds"]:
        t0 = time.perf_counter()
        with vibes.llm_call(model=MODEL, provider="vibes-test") as call:
            call.record_usage(10, 5)
        log.warning("load tick %d", sent, seq=sent)
        call_us.append((time.perf_counter() - t0) * 1e6)
        sent += 1
        if now >= next_report:
            print(json.dumps({"sent": sent}), flush=True)
            next_report += 1
        time.sleep(max(0.0, start + sent * period - time.monotonic()))
    flushed = vibes.shutdown(spec.get("shutdown_timeout", 10))
    call_us.sort()
    return {"sent": sent, "flushed": flushed, "dropped": vibes.dropped(), "rss_start_kib": rss_start,
            "rss_peak_kib": _rss_kib("VmHWM"), "call_us_p50": _percentile(call_us, 0.5),
            "call_us_p99": _percentile(call_us, 0.99)}


if __name__ == "__main__":
    print(json.dumps({"summary": run(json.loads(sys.argv[1]))}), flush=True)

"""A host app that forks (run as a script by test_fork.py): python fork_app.py ENDPOINT MODE."""

from __future__ import annotations

import multiprocessing
import os
import sys
import time

import vibes_sdk as vibes


def work(i: int) -> int:
    with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"worker": i}) as call:
        call.record_usage(1000, 100)
    vibes.get_logger("child").warning("child %d done", i, pid=os.getpid())
    return os.getpid()


def main(endpoint: str, mode: str) -> None:
    vibes.init(endpoint=endpoint, service_name="forking-app", metric_export_interval=0.3,
               flush_interval=0.1, system_metrics=False, shutdown_timeout=10)
    with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"worker": -1}) as call:
        call.record_usage(10, 1)  # the parent's own call, queued while it forks
    ctx = multiprocessing.get_context("fork")
    if mode == "process":
        children = [ctx.Process(target=work, args=(i,)) for i in range(2)]
        for child in children:
            child.start()
        for child in children:
            child.join(30)
        print("exitcodes", [c.exitcode for c in children], flush=True)
    elif mode == "pool-terminate":  # `with Pool()` ends with terminate(): SIGTERM to each worker
        with ctx.Pool(2) as pool:
            pids = pool.map(work, range(4))
        print("pids", sorted(set(pids)), flush=True)
    elif mode == "pool-close":
        pool = ctx.Pool(2)
        pool.map(work, range(4))
        pool.close()
        pool.join()
    elif mode == "fork-during-export":  # the collector holds the parent's metric export
        time.sleep(1.0)  # let the periodic reader start an export that hangs
        child = ctx.Process(target=work, args=(7,))
        child.start()
        child.join(30)
        print("exitcodes", [child.exitcode], flush=True)
    vibes.shutdown(10)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

"""A small demo agent workload sent to the configured endpoint (``make demo``).

    python -m vibes_sdk.demo [--sessions 3] [--endpoint http://127.0.0.1:4318]

Sessions of a two-agent swarm: LLM calls on several models (one unpriced call per session),
tool calls, a failing tool, session events and logs. Configuration comes from the usual
places (VIBES_*, OTEL_*, VIBES_CONFIG_FILE); prints what it sent and the cost view.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time

import vibes_sdk as vibes

MODELS = [  # (model, provider)
    ("gpt-4o", "openai"),
    ("claude-sonnet-4-5-20250929", "anthropic"),
    ("gemini-2.5-flash", "google"),
]
UNPRICED = ("acme-internal-llm", "acme")  # not in the price table: counted as unpriced, not $0


class ToolFailed(RuntimeError):
    pass


def fake_llm(call: object, model: str, rng: random.Random) -> None:
    time.sleep(rng.uniform(0.005, 0.03))
    call.first_chunk()  # type: ignore[attr-defined]
    prompt = rng.randint(400, 6000)
    cached = rng.randint(0, prompt // 2) if "claude" in model or "gpt" in model else 0
    call.record_usage(prompt, rng.randint(50, 900), cache_read_tokens=cached,  # type: ignore[attr-defined]
                      reasoning_tokens=rng.randint(0, 40) if "gemini" in model else 0)
    call.set_response(model=model, id=f"resp-{rng.randrange(10**8)}", finish_reasons=["stop"])  # type: ignore[attr-defined]


def run_session(index: int, rng: random.Random) -> None:
    log = vibes.get_logger("vibes_sdk.demo")
    with vibes.session(f"demo-session-{index}-{rng.randrange(10**6)}", user_id=f"demo-user-{index % 2}",
                       cost_center="demo") as session, vibes.swarm() as swarm:
        session.record_message(role="user")
        for agent_name in ("planner", "coder"):
            with vibes.agent(agent_name), vibes.task(f"{agent_name} step"):
                with swarm.coordination():
                    time.sleep(0.002)
                calls = rng.sample(MODELS, 2) + ([UNPRICED] if agent_name == "planner" else [])
                for model, provider in calls:
                    with vibes.llm_call(model=model, provider=provider) as call:
                        fake_llm(call, model, rng)
                with vibes.tool_call("search", call_id=f"call-{rng.randrange(10**6)}"):
                    time.sleep(0.003)
                try:
                    with vibes.tool_call("run_tests"):
                        if rng.random() < 0.5:
                            raise ToolFailed("2 tests failed")
                except ToolFailed as exc:
                    log.warning("tool failed", tool="run_tests", error=str(exc))
                session.record_event("handoff", to="coder" if agent_name == "planner" else "user")
                log.info("agent step done", agent=agent_name)
        session.record_message(role="assistant")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--endpoint", help="OTLP/HTTP endpoint (default: configuration, else http://127.0.0.1:4318)")
    ap.add_argument("--service-name", default=None)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--json", action="store_true", help="print what was sent as one JSON object (for scripts)")
    args = ap.parse_args(argv)
    try:
        cfg = vibes.init(endpoint=args.endpoint, service_name=args.service_name or "vibes-demo")
    except vibes.ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    say = (lambda _line: None) if args.json else print
    say(f"vibes demo: {args.sessions} session(s) → {cfg.endpoint} as service {cfg.service_name!r}")
    for i in range(args.sessions):
        run_session(i, rng)
        say(f"  session {i + 1}/{args.sessions} done")
    summary = vibes.cost_tracker().summary()
    flushed = vibes.shutdown(10)
    if args.json:
        print(json.dumps({"service": cfg.service_name, "endpoint": cfg.endpoint, "sessions": args.sessions,
                          "cost_usd": summary["all_time"], "by_model": summary["by_model"],
                          "unpriced_calls": summary["unpriced_calls"]}))
    say(f"cost (priced calls): ${summary['all_time']:.6f}; unpriced calls: {summary['unpriced_calls']}")
    for model, usd in sorted(summary["by_model"].items()):
        say(f"  {model:32s} ${usd:.6f}")
    drops = vibes.dropped()
    if not flushed or drops:
        print(f"warning: telemetry was not all delivered to {cfg.endpoint} (dropped: {drops or 'flush timed out'});"
              " is the stack up? `make status`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

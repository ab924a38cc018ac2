"""Record the backends' real answers for the CLI unit tests.

Run against a live stack after sending the known workload (see workload.py):

    .venv/bin/python tests/unit/cli/record_fixtures.py --otlp http://127.0.0.1:4318 \
        --prometheus http://127.0.0.1:9090 --jaeger http://127.0.0.1:16686 \
        --alertmanager http://127.0.0.1:9093 --log-dir ~/.local/share/vibes-observe/data/logs

It sends a fresh workload (tag ``rec``) unless ``--no-send``, waits for it to land, then
stores every response the unit tests replay under tests/unit/cli/fixtures/.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[2]))

import workload as wl  # noqa: E402

from vibes_observe.clients import prometheus as prom_mod  # noqa: E402
from vibes_observe.commands import cost as cost_cmd  # noqa: E402
from vibes_observe.commands import metrics as metrics_cmd  # noqa: E402

FIXTURES = HERE / "fixtures"


class RecordingPrometheus(prom_mod.PrometheusClient):
    """A real client that also keeps every raw answer, keyed by query."""

    def __init__(self, url: str):
        super().__init__(url)
        self.answers: dict[str, dict] = {}

    def _get(self, path, params=None):
        payload = super()._get(path, params)
        if path == "/api/v1/query":
            self.answers[params["query"]] = payload
        return payload


def wait_for_ledger(prometheus: str, agent: str, timeout: float = 240) -> None:
    """Cost per calendar period reads the ledger's period rules: wait until they count the agent."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        answer = requests.get(f"{prometheus}/api/v1/query", timeout=10, params={
            "query": f'vibes:llm_cost_usd:day{{gen_ai_agent_name="{agent}"}}'}).json()
        if answer["data"]["result"]:
            return
        time.sleep(2)
    raise SystemExit(f"the ledger rules did not count agent {agent!r} within {timeout:.0f}s")


def record_prometheus(prometheus: str, work) -> None:
    """Every query metrics/cost make for this agent."""
    prom = RecordingPrometheus(prometheus)
    filters = {"agent": work.agent}
    metrics_cmd.summary(prom, 3600, filters)
    metrics_cmd.summary(prom, 3600, filters, "model")
    cost_cmd.prometheus_costs(prom, ("today", "all"), ("model", "agent"), filters)
    (FIXTURES / "prometheus_answers.json").write_text(json.dumps(prom.answers, indent=1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--otlp", required=True)
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--jaeger", required=True)
    ap.add_argument("--alertmanager", required=True)
    ap.add_argument("--log-dir", required=True)
    ap.add_argument("--tag", default="rec")
    ap.add_argument("--no-send", action="store_true")
    ap.add_argument("--prometheus-only", action="store_true",
                    help="re-record only the Prometheus answers (after a query of metrics/cost changed)")
    args = ap.parse_args()
    FIXTURES.mkdir(exist_ok=True)
    work = wl.make_workload(args.tag)
    if not args.no_send:
        wl.send(work, args.otlp)
        time.sleep(12)  # batch + scrape interval
    wait_for_ledger(args.prometheus, work.agent)
    if args.prometheus_only:
        record_prometheus(args.prometheus, work)
        print(f"recorded Prometheus answers for workload {args.tag!r} in {FIXTURES}")
        return
    # Jaeger: search by session, then the trace itself
    search = requests.get(f"{args.jaeger}/api/traces", params={
        "service": work.service, "tags": json.dumps({"gen_ai.conversation.id": work.session_id}),
        "limit": 20}, timeout=10).json()
    (FIXTURES / "jaeger_search.json").write_text(json.dumps(search, indent=1))
    trace_id = search["data"][0]["traceID"]
    trace = requests.get(f"{args.jaeger}/api/traces/{trace_id}", timeout=10).json()
    (FIXTURES / "jaeger_trace.json").write_text(json.dumps(trace, indent=1))
    (FIXTURES / "jaeger_services.json").write_text(
        json.dumps(requests.get(f"{args.jaeger}/api/services", timeout=10).json(), indent=1))
    record_prometheus(args.prometheus, work)
    (FIXTURES / "prometheus_rules.json").write_text(
        json.dumps(requests.get(f"{args.prometheus}/api/v1/rules", timeout=10).json(), indent=1))
    # Alertmanager
    (FIXTURES / "alertmanager_alerts.json").write_text(
        json.dumps(requests.get(f"{args.alertmanager}/api/v2/alerts", timeout=10).json(), indent=1))
    # The old native file store's format (what `logs import` reads): since VictoriaLogs it is written
    # only by a `file` export target, e.g. exports.logs: [loki, {type: file, path: <--log-dir>/logs.jsonl}]
    lines = []
    for path in sorted(Path(args.log_dir).expanduser().glob("*")):
        for line in path.read_text().splitlines():
            if work.session_id in line:
                lines.append(line)
    if not lines:
        raise SystemExit(f"no OTLP-JSON lines of this workload under {args.log_dir}: add a `file` logs export there")
    (FIXTURES / "logstore.jsonl").write_text("\n".join(lines) + "\n")
    (FIXTURES / "meta.json").write_text(json.dumps({"tag": args.tag, "trace_id": trace_id,
                                                     "recorded_at": time.time()}, indent=1))
    print(f"recorded fixtures for workload {args.tag!r} (trace {trace_id}) in {FIXTURES}")


if __name__ == "__main__":
    main()

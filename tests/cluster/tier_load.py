"""Steady OTLP load from inside one agent host, every item identifiable afterwards (stdlib only).

Run in an agent host's namespace against its agent collector (127.0.0.1): each trace ``i`` of
``--service`` is two priced chat spans (parent and child, IDs derived from service and i, so the
test knows every sent ID without being told), one log record in that trace carrying ``seq=i``,
and one gauge point ``PROBE_METRIC`` = i at its own millisecond. Requests go out ``--rate``
traces per second in 10 batches a second; a refused request is re-sent, as an SDK would (its
items may then be stored twice: at-least-once). Prints a JSON summary; the loop ends by itself.

    python tier_load.py --endpoint http://127.0.0.1:4318 --service s --traces 1000 --rate 50 [--errors]
    python tier_load.py --endpoint … --service s --span TRACE_ID SPAN_ID PARENT_ID|- [--errors]
    python tier_load.py --endpoint … --service s --post metrics < body.json   (one OTLP/JSON request)
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import urllib.error
import urllib.request

PROBE_METRIC = "vibes_tier_probe"
SEQ = "seq"                      # the log record attribute numbering it within its service
MODEL, INPUT_TOKENS, OUTPUT_TOKENS = "gpt-4o", 100, 40   # in the price table: priced on the agents
SPANS_PER_TRACE = 2
BATCHES_PER_SECOND = 10
GIVE_UP_AFTER_S = 600.0


def _hex(text: str, digits: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:digits]


def trace_id(service: str, i: int) -> str:
    return _hex(f"{service}/{i}", 32)


def span_ids(service: str, i: int) -> tuple[str, str]:
    """(parent, child) span IDs of trace ``i``."""
    return _hex(f"{service}/{i}/parent", 16), _hex(f"{service}/{i}/child", 16)


def _attr(key: str, value) -> dict:
    kind = "intValue" if isinstance(value, int) else "stringValue"
    return {"key": key, "value": {kind: str(value) if kind == "intValue" else value}}


def _resource(service: str) -> dict:
    return {"attributes": [_attr("service.name", service)]}


def span(service: str, trace: str, span_id: str, parent: str | None, now_ns: int, *, error: bool,
         priced: bool = True) -> dict:
    body = {"traceId": trace, "spanId": span_id, "name": f"chat {MODEL}", "kind": 3,
            "startTimeUnixNano": str(now_ns - 2_000_000), "endTimeUnixNano": str(now_ns),
            "attributes": [_attr("gen_ai.operation.name", "chat"), _attr("gen_ai.request.model", MODEL),
                           _attr("gen_ai.usage.input_tokens", INPUT_TOKENS),
                           _attr("gen_ai.usage.output_tokens", OUTPUT_TOKENS)] if priced else []}
    if parent:
        body["parentSpanId"] = parent
    if error:
        body["status"] = {"code": 2, "message": "failed"}
    return body


def batch(service: str, first: int, count: int, start_ms: int, *, errors: bool) -> dict[str, dict]:
    now = time.time_ns()
    spans, logs, points = [], [], []
    for i in range(first, first + count):
        trace = trace_id(service, i)
        parent, child = span_ids(service, i)
        spans += [span(service, trace, parent, None, now, error=False),
                  span(service, trace, child, parent, now, error=errors)]
        logs.append({"timeUnixNano": str(now), "severityNumber": 9, "severityText": "INFO",
                     "body": {"stringValue": f"tier load {i}"}, "traceId": trace, "spanId": child,
                     "attributes": [_attr(SEQ, i)]})
        points.append({"timeUnixNano": str((start_ms + i) * 1_000_000), "asDouble": float(i)})
    resource = _resource(service)
    return {
        "traces": {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": spans}]}]},
        "logs": {"resourceLogs": [{"resource": resource, "scopeLogs": [{"logRecords": logs}]}]},
        "metrics": {"resourceMetrics": [{"resource": resource, "scopeMetrics": [{"metrics": [
            {"name": PROBE_METRIC, "gauge": {"dataPoints": points}}]}]}]},
    }


def post(endpoint: str, signal: str, body: dict) -> int:
    """POST until accepted; the number of refused attempts."""
    data = json.dumps(body).encode()
    refused, deadline = 0, time.monotonic() + GIVE_UP_AFTER_S
    while True:
        request = urllib.request.Request(f"{endpoint}/v1/{signal}", data=data,
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                if answer.status == 200:
                    return refused
        except (urllib.error.URLError, OSError):
            pass
        refused += 1
        if time.monotonic() > deadline:
            raise SystemExit(f"{endpoint}: {signal} refused for {GIVE_UP_AFTER_S:.0f}s")
        time.sleep(0.5)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--service", required=True)
    parser.add_argument("--traces", type=int, default=0)
    parser.add_argument("--rate", type=float, default=10.0, help="traces per second")
    parser.add_argument("--errors", action="store_true", help="every trace has an error (tail sampling keeps it)")
    parser.add_argument("--span", nargs=3, metavar=("TRACE_ID", "SPAN_ID", "PARENT_ID"),
                        help="send this one (unpriced) span and stop")
    parser.add_argument("--post", choices=("traces", "metrics", "logs"),
                        help="send the OTLP/JSON body read from stdin as this signal and stop")
    args = parser.parse_args(argv)
    if args.post:
        post(args.endpoint, args.post, json.load(sys.stdin))
        return 0
    if args.span:
        trace, span_id, parent = args.span
        body = span(args.service, trace, span_id, None if parent == "-" else parent, time.time_ns(),
                    error=args.errors, priced=False)
        post(args.endpoint, "traces", {"resourceSpans": [{"resource": _resource(args.service),
                                                          "scopeSpans": [{"spans": [body]}]}]})
        return 0
    per_batch = max(1, round(args.rate / BATCHES_PER_SECOND))
    interval = per_batch / args.rate
    started, start_ms, refused, sent = time.monotonic(), time.time_ns() // 1_000_000 - args.traces, 0, 0
    while sent < args.traces:
        count = min(per_batch, args.traces - sent)
        for signal, body in batch(args.service, sent, count, start_ms, errors=args.errors).items():
            refused += post(args.endpoint, signal, body)
        sent += count
        time.sleep(max(0.0, started + sent / args.rate - time.monotonic()))
    seconds = time.monotonic() - started
    print(json.dumps({"service": args.service, "traces": sent, "refused_requests": refused,
                      "seconds": round(seconds, 2), "traces_per_s": round(sent / seconds, 1)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())

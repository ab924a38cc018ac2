"""A live OTLP/HTTP receiver for benchmarks, in its own process (it must not share the GIL
with the contenders): decodes every request and counts spans, log records and metric
points per service. ``GET /counts`` answers ``{service: {"spans": n, "logs": n, "points": n}}``.

Usage: python bench/otlp_receiver.py PORT_FILE   (writes the port it listens on); from a bench, ``start()``
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

COUNTS: dict[str, dict[str, int]] = defaultdict(lambda: {"spans": 0, "logs": 0, "points": 0})
#: what each service exports besides counts: metric names, and span attribute keys naming a cost
SEEN: dict[str, dict[str, set[str]]] = defaultdict(lambda: {"metrics": set(), "cost_attributes": set()})
LOCK = threading.Lock()


def _service(resource) -> str:
    for kv in resource.attributes:
        if kv.key == "service.name":
            return kv.value.string_value
    return "unknown"


def _count(path: str, body: bytes) -> None:
    if path == "/v1/traces":
        req = ExportTraceServiceRequest.FromString(body)
        found = [(_service(r.resource), "spans", sum(len(s.spans) for s in r.scope_spans)) for r in req.resource_spans]
        with LOCK:
            for r in req.resource_spans:
                keys = {kv.key for s in r.scope_spans for span in s.spans for kv in span.attributes if "cost" in kv.key}
                SEEN[_service(r.resource)]["cost_attributes"] |= keys
    elif path == "/v1/logs":
        req = ExportLogsServiceRequest.FromString(body)
        found = [(_service(r.resource), "logs", sum(len(s.log_records) for s in r.scope_logs)) for r in req.resource_logs]
    else:
        req = ExportMetricsServiceRequest.FromString(body)
        found = [(_service(r.resource), "points",
                  sum(len(getattr(m, m.WhichOneof("data")).data_points) for s in r.scope_metrics for m in s.metrics))
                 for r in req.resource_metrics]
        with LOCK:
            for r in req.resource_metrics:
                SEEN[_service(r.resource)]["metrics"] |= {m.name for s in r.scope_metrics for m in s.metrics}
    with LOCK:
        for service, kind, n in found:
            COUNTS[service][kind] += n


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _count(self.path, body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self) -> None:  # noqa: N802
        with LOCK:
            payload = json.dumps({service: {**counts, **{k: sorted(v) for k, v in SEEN[service].items()}}
                                  for service, counts in COUNTS.items()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


def start() -> tuple[subprocess.Popen, str]:
    """One receiver in its own process: (the process, its base URL) once it listens."""
    port_file = Path(tempfile.mkdtemp()) / "port"
    receiver = subprocess.Popen([sys.executable, __file__, str(port_file)])
    deadline = time.monotonic() + 30
    while not port_file.exists() or not port_file.read_text():
        if time.monotonic() > deadline or receiver.poll() is not None:
            receiver.kill()
            raise SystemExit("the OTLP receiver did not start")
        time.sleep(0.05)
    return receiver, f"http://127.0.0.1:{port_file.read_text()}"


def main(port_file: str) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    with open(port_file, "w") as fh:
        fh.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])

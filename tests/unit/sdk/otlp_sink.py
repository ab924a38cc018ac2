"""A local HTTP endpoint standing in for a collector: records requests, can be slow or fail."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OtlpSink:
    def __init__(self, status: int = 200, delay: float = 0.0, hold: threading.Event | None = None) -> None:
        self.status = status
        self.delay = delay
        self.hold = hold  # when given, every request is answered only once it is set
        self.held = 0  # requests waiting on `hold` right now
        self._held_lock = threading.Lock()
        self.requests: list[tuple[str, int]] = []  # (path, body bytes)
        self.bodies: list[tuple[str, bytes]] = []  # (path, body) of answered-200 requests
        self.request_headers: list[tuple[str, dict[str, str]]] = []  # (path, headers, lower-case names)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.requests.append((self.path, len(body)))
                if sink.status == 200:
                    sink.bodies.append((self.path, body))
                sink.request_headers.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if sink.delay:
                    time.sleep(sink.delay)
                if sink.hold is not None:
                    with sink._held_lock:
                        sink.held += 1
                    sink.hold.wait(30)
                    with sink._held_lock:
                        sink.held -= 1
                self.send_response(sink.status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    # --- what the receiver got, decoded from OTLP protobuf (the collector's view)
    def spans(self) -> list[tuple[dict, dict]]:
        """(resource attributes, span as a dict with name and attributes) per received span."""
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
        out = []
        for req in self._decoded("/v1/traces", ExportTraceServiceRequest):
            for rs in req.resource_spans:
                resource = _attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for span in ss.spans:
                        out.append((resource, {"name": span.name, "attributes": _attrs(span.attributes),
                                               "events": [(e.name, _attrs(e.attributes)) for e in span.events],
                                               "status": span.status.message}))
        return out

    def logs(self) -> list[tuple[dict, dict]]:
        from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
        out = []
        for req in self._decoded("/v1/logs", ExportLogsServiceRequest):
            for rl in req.resource_logs:
                resource = _attrs(rl.resource.attributes)
                for sl in rl.scope_logs:
                    for rec in sl.log_records:
                        out.append((resource, {"body": _value(rec.body), "attributes": _attrs(rec.attributes)}))
        return out

    def metric_points(self) -> list[tuple[dict, str, dict, float]]:
        """(resource attributes, metric name, point attributes, value or histogram sum)."""
        from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import ExportMetricsServiceRequest
        out = []
        for req in self._decoded("/v1/metrics", ExportMetricsServiceRequest):
            for rm in req.resource_metrics:
                resource = _attrs(rm.resource.attributes)
                for sm in rm.scope_metrics:
                    for metric in sm.metrics:
                        kind = metric.WhichOneof("data")
                        for point in getattr(metric, kind).data_points:
                            value = point.sum if kind == "histogram" else (
                                point.as_int if point.WhichOneof("value") == "as_int" else point.as_double)
                            out.append((resource, metric.name, _attrs(point.attributes), value))
        return out

    def _decoded(self, path: str, message: type) -> list:
        out = []
        for p, body in list(self.bodies):
            if p == path:
                req = message()
                req.ParseFromString(body)
                out.append(req)
        return out

    def __enter__(self) -> OtlpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _value(v):
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return _attrs(v.kvlist_value.values)
    return getattr(v, kind)


def _attrs(kvs) -> dict:
    return {kv.key: _value(kv.value) for kv in kvs}


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""The SDK's OTLP/HTTP span exporter against a local endpoint that answers as scripted: what it
sends, which answers it retries, compression, and shutdown cutting a backoff short."""
from __future__ import annotations

import gzip
import logging
import threading
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as otel_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from vibes_sdk._internal.otlp_http import MAX_ATTEMPTS, OtlpHttpSpanExporter


class Scripted:
    """Answers POSTs with the scripted (status, headers) in turn, the last one from then on."""

    def __init__(self, *answers: tuple[int, dict[str, str]]) -> None:
        self.answers = list(answers)
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = outer.answers[min(len(outer.received), len(outer.answers)) - 1]
                self.send_response(status)
                for name, value in {"Content-Length": "0", **headers}.items():
                    self.send_header(name, value)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def spans():
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "http-test"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    for n in range(3):
        provider.get_tracer("t").start_span(f"s{n}", attributes={"n": n, "model": "gpt-4o"}).end()
    return memory.get_finished_spans()


def _export(url: str, spans, env=None, timeout: float = 10.0, headers=None) -> SpanExportResult:
    exporter = OtlpHttpSpanExporter(url, headers or {}, timeout, env=env or {})
    try:
        return exporter.export(spans)
    finally:
        exporter.shutdown()


def test_posts_the_protobuf_request_with_the_configured_headers(spans):
    sink = Scripted((200, {}))
    try:
        assert _export(sink.url, spans, headers={"Authorization": "Bearer t0ken"}) is SpanExportResult.SUCCESS
    finally:
        sink.close()
    ((path, headers, body),) = sink.received
    assert path == "/v1/traces"
    assert headers["content-type"] == "application/x-protobuf" and headers["authorization"] == "Bearer t0ken"
    assert "content-encoding" not in headers
    assert ExportTraceServiceRequest.FromString(body) == otel_encode_spans(spans)


def test_retryable_answers_are_retried_with_the_same_body_until_one_succeeds(spans):
    sink = Scripted((503, {}), (429, {"Retry-After": "0"}), (200, {}))
    try:
        assert _export(sink.url, spans) is SpanExportResult.SUCCESS
    finally:
        sink.close()
    assert len(sink.received) == 3 and len({body for _, _, body in sink.received}) == 1


@pytest.mark.parametrize("status", [400, 401, 413, 500])
def test_other_refusals_fail_the_batch_at_once(spans, status):
    sink = Scripted((status, {}))
    try:
        assert _export(sink.url, spans) is SpanExportResult.FAILURE
    finally:
        sink.close()
    assert len(sink.received) == 1


def test_a_retryable_answer_that_never_ends_fails_the_batch_within_the_attempts(spans):
    sink = Scripted((503, {"Retry-After": "0"}))
    try:
        assert _export(sink.url, spans) is SpanExportResult.FAILURE
    finally:
        sink.close()
    assert len(sink.received) == MAX_ATTEMPTS


def test_an_endpoint_nobody_listens_on_fails_the_batch(spans):
    sink = Scripted((200, {}))
    url = sink.url
    sink.close()  # the port is free again: connections are refused
    assert _export(url, spans, timeout=2.0) is SpanExportResult.FAILURE


@pytest.mark.parametrize("env, decode", [
    ({"OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "gzip"}, gzip.decompress),
    ({"OTEL_EXPORTER_OTLP_COMPRESSION": "deflate"}, zlib.decompress),
    ({"OTEL_EXPORTER_OTLP_COMPRESSION": "gzip", "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION": "none"}, None),
])
def test_compression_from_the_standard_variables(spans, env, decode):
    sink = Scripted((200, {}))
    try:
        assert _export(sink.url, spans, env=env) is SpanExportResult.SUCCESS
    finally:
        sink.close()
    ((_, headers, body),) = sink.received
    assert headers.get("content-encoding") == (None if decode is None else env.get(
        "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", env.get("OTEL_EXPORTER_OTLP_COMPRESSION")))
    raw = body if decode is None else decode(body)
    assert ExportTraceServiceRequest.FromString(raw) == otel_encode_spans(spans)


def test_an_unknown_compression_is_named_once_and_the_batch_goes_uncompressed(spans, caplog):
    sink = Scripted((200, {}))
    try:
        with caplog.at_level(logging.WARNING, logger="vibes_sdk"):
            for _ in range(2):
                assert _export(sink.url, spans, env={"OTEL_EXPORTER_OTLP_COMPRESSION": "brotli"}) \
                    is SpanExportResult.SUCCESS
    finally:
        sink.close()
    assert len([r for r in caplog.records if "'brotli'" in r.getMessage()]) == 1
    assert "content-encoding" not in sink.received[0][1]
    assert ExportTraceServiceRequest.FromString(sink.received[0][2]) == otel_encode_spans(spans)


def test_shutdown_cuts_a_backoff_short(spans):
    sink = Scripted((503, {"Retry-After": "600"}))
    exporter = OtlpHttpSpanExporter(sink.url, {}, 3600.0, env={})
    result: list[SpanExportResult] = []
    worker = threading.Thread(target=lambda: result.append(exporter.export(spans)), daemon=True)
    try:
        worker.start()
        while not sink.received:
            worker.join(0.05)
        exporter.shutdown()  # the export now waits out a 600 s Retry-After
        worker.join(30)
        assert not worker.is_alive() and result == [SpanExportResult.FAILURE]
        assert len(sink.received) == 1
        assert exporter.export(spans) is SpanExportResult.FAILURE  # after shutdown: nothing sent
        assert len(sink.received) == 1
    finally:
        sink.close()


def test_a_refusal_is_logged_once_without_the_endpoints_credentials(spans, caplog):
    sink = Scripted((418, {}))
    url = sink.url.replace("http://", "http://user:s3cret-pass@")
    try:
        with caplog.at_level(logging.WARNING, logger="vibes_sdk"):
            for _ in range(2):
                assert _export(url, spans) is SpanExportResult.FAILURE
    finally:
        sink.close()
    assert len(sink.received) == 2  # sent (the credentials as basic auth), refused each time
    (line,) = [r.getMessage() for r in caplog.records if "418" in r.getMessage()]
    assert sink.url in line and "s3cret" not in line

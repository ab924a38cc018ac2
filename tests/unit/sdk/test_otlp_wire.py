"""vibes_sdk's span encoder against the OpenTelemetry one: the same ExportTraceServiceRequest for
every kind of span (parsed from both and compared field by field), and the same choices on values
that cannot be encoded."""
from __future__ import annotations

import random

import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as otel_encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Link, NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState
from opentelemetry.trace import set_span_in_context

from vibes_sdk._internal import otlp_wire


def _provider(resource: Resource, limits: SpanLimits | None = None) -> tuple[TracerProvider, InMemorySpanExporter]:
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource, span_limits=limits or SpanLimits())
    provider.add_span_processor(SimpleSpanProcessor(memory))
    return provider, memory


def _same_request(spans) -> ExportTraceServiceRequest:
    ours = ExportTraceServiceRequest.FromString(otlp_wire.encode_spans(spans))
    theirs = otel_encode_spans(spans)
    assert ours == theirs, f"ours:\n{ours}\ntheirs:\n{theirs}"
    return ours


VALUES = ["", "text", "ünïcødé ✓", "x" * 300, 0, 1, -1, 127, 128, 2 ** 40, -(2 ** 63), 2 ** 63 - 1, 0.0, -0.0, 1.5,
          -2.25e300, float("inf"), True, False, b"", b"\x00\xffbytes", ["a", "b"], [1, 2, 3], [1.5, -0.0], [True, False],
          [], ("t", "u"), [b"raw"], [None, "x"]]


def test_every_kind_of_span_encodes_as_the_opentelemetry_encoder_does():
    provider, memory = _provider(Resource.create({"service.name": "wire", "deployment.environment.name": "test",
                                                  "host.cores": 2, "process.ratio": 0.5, "list": ["a", "b"]},
                                                 schema_url="https://opentelemetry.io/schemas/1.26.0"))
    tracer = provider.get_tracer("scope.one", "1.2.3", schema_url="https://example.com/s",
                                 attributes={"scope.attr": "v", "scope.n": 3})
    other = provider.get_tracer("scope.two")
    remote = SpanContext(0x1234, 0x5678, is_remote=True, trace_flags=TraceFlags(1),
                         trace_state=TraceState([("vendor", "value"), ("other", "x")]))
    local = SpanContext(0xABCDEF, 0x99, is_remote=False)
    with tracer.start_as_current_span("parent", kind=SpanKind.SERVER,
                                      attributes={f"v{i}": v for i, v in enumerate(VALUES)}) as parent:
        parent.add_event("exception", {"exception.type": "ValueError", "n": 7}, timestamp=1_700_000_000_000_000_001)
        parent.add_event("", {})
        with tracer.start_as_current_span("child", kind=SpanKind.CLIENT,
                                          links=[Link(remote, {"link.attr": 1}), Link(local)]) as child:
            child.set_status(Status(StatusCode.ERROR, "it broke"))
        with other.start_as_current_span("ok", kind=SpanKind.PRODUCER) as ok:
            ok.set_status(Status(StatusCode.OK))
    tracer.start_span("remote child", context=set_span_in_context(NonRecordingSpan(remote)),
                      kind=SpanKind.CONSUMER).end()
    tracer.start_span("", kind=SpanKind.INTERNAL).end()
    request = _same_request(memory.get_finished_spans())
    assert len(request.resource_spans) == 1 and len(request.resource_spans[0].scope_spans) == 2
    assert sum(len(s.spans) for s in request.resource_spans[0].scope_spans) == 5


def test_spans_of_several_resources_and_the_limits_counts():
    limits = SpanLimits(max_attributes=3, max_events=1, max_links=1, max_event_attributes=1,
                        max_link_attributes=1)
    spans = []
    for service in ("a", "b", "a"):
        provider, memory = _provider(Resource.create({"service.name": service}), limits)
        link = SpanContext(1, 2, is_remote=False)
        span = provider.get_tracer("t").start_span("limited", attributes={f"k{i}": i for i in range(6)},
                                                   links=[Link(link, {"x": 1, "y": 2}), Link(link)])
        span.add_event("e1", {"p": 1, "q": 2})
        span.add_event("e2")
        span.end()
        spans += memory.get_finished_spans()
    request = _same_request(spans)
    assert len(request.resource_spans) == 2  # the two "a" resources are equal: grouped as one
    assert request.resource_spans[0].scope_spans[0].spans[0].dropped_attributes_count == 3


def test_random_batches_with_repeated_keys_and_values_encode_alike():
    rng = random.Random(20261130)
    provider, memory = _provider(Resource.create({"service.name": "random"}))
    tracer = provider.get_tracer("t")
    for n in range(300):
        attrs = {f"k{rng.randrange(12)}": rng.choice(VALUES) for _ in range(rng.randrange(15))}
        tracer.start_span(f"s{n % 7}", attributes=attrs, kind=rng.choice(list(SpanKind))).end()
    _same_request(memory.get_finished_spans())


def test_an_attribute_that_cannot_be_encoded_is_left_out_alone_as_the_opentelemetry_encoder_does():
    provider, memory = _provider(Resource.create({"service.name": "bad"}))
    span = provider.get_tracer("t").start_span("s", attributes={"good": "yes"})
    span.set_attribute("big", 2 ** 64)          # beyond int64
    span.set_attribute("surrogate", "\ud800")   # not UTF-8
    span.set_attribute("mixed", [1, 2 ** 70])   # one bad element: the whole attribute
    span.end()
    request = _same_request(memory.get_finished_spans())
    assert [kv.key for kv in request.resource_spans[0].scope_spans[0].spans[0].attributes] == ["good"]


@pytest.mark.parametrize("where", ["name", "event", "status"])
def test_text_that_is_not_utf8_outside_attributes_fails_the_batch_as_the_opentelemetry_encoder_does(where):
    provider, memory = _provider(Resource.create({"service.name": "bad"}))
    span = provider.get_tracer("t").start_span("\ud800" if where == "name" else "fine")
    if where == "event":
        span.add_event("\udfff")
    if where == "status":
        span.set_status(Status(StatusCode.ERROR, "\ud800"))
    span.end()
    spans = memory.get_finished_spans()
    with pytest.raises(UnicodeEncodeError):
        otel_encode_spans(spans).SerializePartialToString()
    with pytest.raises(UnicodeEncodeError):  # the counting exporter then finds and drops this span alone
        otlp_wire.encode_spans(spans)


def test_an_empty_batch_is_an_empty_request():
    assert otlp_wire.encode_spans([]) == otel_encode_spans([]).SerializePartialToString() == b""

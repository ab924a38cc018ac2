"""OTLP/protobuf bytes of a batch of spans, written directly.

The OpenTelemetry encoder builds a protobuf object per attribute: 60–128 µs per LLM span (14
attributes) on the export thread, up to a third of the SDK's whole cost per call. This writes
the same message (an ``ExportTraceServiceRequest``: same fields, same grouping by resource and
scope, an attribute that cannot be encoded left out alone) as wire bytes, and encodes each
(key, value) pair once per batch, since a running agent's calls repeat their context, model and
provider: 12–23 µs per span (bench/bench_span_export.py). tests/unit/sdk/test_otlp_wire.py
checks it against the OpenTelemetry encoder.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.trace import SpanKind

from vibes_sdk._internal import guard
from vibes_sdk._internal.bounds import plain_attributes

_SMALL = [bytes((i,)) for i in range(128)]
_fixed64 = struct.Struct("<Q").pack
_fixed32 = struct.Struct("<I").pack
_double = struct.Struct("<d").pack
_INT64 = (-(1 << 63), (1 << 63) - 1)
_KIND = {SpanKind.INTERNAL: 1, SpanKind.SERVER: 2, SpanKind.CLIENT: 3, SpanKind.PRODUCER: 4, SpanKind.CONSUMER: 5}
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200  # SpanFlags
_FLAGS = b"\x85\x01"  # Span.flags: field 16, fixed32
_CACHED = (str, int, bool)  # hashable, and equal values encode alike (floats: -0.0 == 0.0)


def _varint(n: int) -> bytes:
    if n < 128:
        return _SMALL[n]
    out = bytearray()
    while n > 127:
        out.append((n & 127) | 128)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(tag: bytes, payload: bytes) -> bytes:
    """A length-delimited field (string, bytes, message)."""
    n = len(payload)
    return tag + (_SMALL[n] if n < 128 else _varint(n)) + payload


def _any_value(value: Any) -> bytes:
    """AnyValue's fields, in the OpenTelemetry encoder's order of type checks."""
    if value is None:
        return b""
    if isinstance(value, bool):
        return b"\x10\x01" if value else b"\x10\x00"
    if isinstance(value, str):
        return _field(b"\x0a", value.encode())
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"Value out of range: {value}")
        return b"\x18" + _varint(value & 0xFFFFFFFFFFFFFFFF)
    if isinstance(value, float):
        return b"\x21" + _double(value)
    if isinstance(value, bytes):
        return _field(b"\x3a", value)
    if isinstance(value, Sequence):
        return _field(b"\x2a", b"".join([_field(b"\x0a", _any_value(v)) for v in value]))
    if isinstance(value, Mapping):
        return _field(b"\x32", b"".join([_field(b"\x0a", _key_value(str(k), v)) for k, v in value.items()]))
    raise TypeError(f"Invalid type {type(value)} of value {value}")


def _key_value(key: str, value: Any) -> bytes:
    return (_field(b"\x0a", key.encode()) if key else b"") + _field(b"\x12", _any_value(value))


def _attributes(tag: bytes, attributes: Any, cache: dict[Any, bytes]) -> list[bytes]:
    """Each attribute as a repeated KeyValue field ``tag``; one that cannot be encoded is left out."""
    if not attributes:
        return []
    out = []
    for key, value in plain_attributes(attributes).items():
        kind = type(value)
        hashed = (tag, key, kind, value) if kind in _CACHED else None
        encoded = cache.get(hashed) if hashed is not None else None
        if encoded is None:
            try:
                encoded = _field(tag, _key_value(key, value))
            except Exception as err:  # noqa: BLE001 - out of range, lone surrogate, unknown type
                # left out like the OpenTelemetry encoder does: the span goes out without it
                guard.warn_once(f"attribute-encoding:{type(err).__name__}",
                                "vibes_sdk: a span attribute could not be encoded and was left out: %s", err)
                continue
            if hashed is not None:
                cache[hashed] = encoded
        out.append(encoded)
    return out


def _flags(context: Any) -> bytes:
    return _fixed32(_HAS_IS_REMOTE | _IS_REMOTE if context is not None and context.is_remote else _HAS_IS_REMOTE)


def _span(span: Any, cache: dict[Any, bytes]) -> bytes:
    ctx = span.get_span_context()
    out = [b"\x0a\x10", ctx.trace_id.to_bytes(16, "big"), b"\x12\x08", ctx.span_id.to_bytes(8, "big")]
    trace_state = ctx.trace_state
    if trace_state:
        out.append(_field(b"\x1a", ",".join([f"{k}={v}" for k, v in trace_state.items()]).encode()))
    parent = span.parent
    if parent:
        out += (b"\x22\x08", parent.span_id.to_bytes(8, "big"))
    if span.name:
        out.append(_field(b"\x2a", span.name.encode()))
    out += (b"\x30", _SMALL[_KIND[span.kind]])
    if span.start_time:
        out += (b"\x39", _fixed64(span.start_time))
    if span.end_time:
        out += (b"\x41", _fixed64(span.end_time))
    out += _attributes(b"\x4a", span.attributes, cache)
    if span.dropped_attributes:
        out += (b"\x50", _varint(span.dropped_attributes))
    for event in span.events or ():
        body = [b"\x09", _fixed64(event.timestamp)] if event.timestamp else []
        if event.name:
            body.append(_field(b"\x12", event.name.encode()))
        body += _attributes(b"\x1a", event.attributes, cache)
        if event.dropped_attributes:
            body += (b"\x20", _varint(event.dropped_attributes))
        out.append(_field(b"\x5a", b"".join(body)))
    if span.dropped_events:
        out += (b"\x60", _varint(span.dropped_events))
    for link in span.links or ():
        body = [b"\x0a\x10", link.context.trace_id.to_bytes(16, "big"),
                b"\x12\x08", link.context.span_id.to_bytes(8, "big"),
                *_attributes(b"\x22", link.attributes, cache)]
        if link.dropped_attributes:
            body += (b"\x28", _varint(link.dropped_attributes))
        body += (b"\x35", _flags(link.context))
        out.append(_field(b"\x6a", b"".join(body)))
    if span.dropped_links:
        out += (b"\x70", _varint(span.dropped_links))
    status = span.status
    if status is not None:
        body = [_field(b"\x12", status.description.encode())] if status.description else []
        if status.status_code.value:
            body += (b"\x18", _SMALL[status.status_code.value])
        out.append(_field(b"\x7a", b"".join(body)))
    out += (_FLAGS, _flags(parent))
    return b"".join(out)


def _scope(scope: Any, cache: dict[Any, bytes]) -> bytes:
    if scope is None:
        return b""
    out = [_field(b"\x0a", scope.name.encode())] if scope.name else []
    if scope.version:
        out.append(_field(b"\x12", scope.version.encode()))
    out += _attributes(b"\x1a", scope.attributes, cache)
    return b"".join(out)


def encode_spans(spans: Sequence[Any]) -> bytes:
    """The serialized ``ExportTraceServiceRequest`` of ``spans`` (``ReadableSpan``)."""
    cache: dict[Any, bytes] = {}
    grouped: dict[Any, dict[Any, list[bytes]]] = {}
    # grouped by equal resources, as the OpenTelemetry encoder does; a Resource hashes by dumping
    # its attributes to JSON, so each distinct object is hashed once (the spans of a batch share one)
    resources: dict[int, Any] = {}
    for span in spans:
        resource = resources.get(id(span.resource))
        if resource is None:
            resource = resources[id(span.resource)] = grouped.setdefault(span.resource, {})
        scopes = resource
        scopes.setdefault(span.instrumentation_scope or None, []).append(_field(b"\x12", _span(span, cache)))
    out = []
    for resource, scopes in grouped.items():
        body = [_field(b"\x0a", b"".join(_attributes(b"\x0a", resource.attributes, cache)))]
        for scope, encoded in scopes.items():
            scope_spans = [_field(b"\x0a", _scope(scope, cache)), *encoded]
            if scope is not None and scope.schema_url:
                scope_spans.append(_field(b"\x1a", scope.schema_url.encode()))
            body.append(_field(b"\x12", b"".join(scope_spans)))
        if resource.schema_url:
            body.append(_field(b"\x1a", resource.schema_url.encode()))
        out.append(_field(b"\x0a", b"".join(body)))
    return b"".join(out)

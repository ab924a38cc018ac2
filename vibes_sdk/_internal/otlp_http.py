"""OTLP/HTTP span exporter sending the bytes ``otlp_wire`` writes.

The OpenTelemetry exporter encodes spans itself and has no public way to send bytes, so this
sends them as it does: POST ``application/x-protobuf`` with the configured headers, no
redirects; gzip or deflate per ``OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION``; TLS files per
``OTEL_EXPORTER_OTLP_[TRACES_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}``; 429/502/503/504
and connection errors retried with exponential backoff (or the answer's Retry-After) while the
timeout lasts; shutdown cuts a backoff short. A failed batch is reported as FAILURE: the
counting wrapper (exporters.py) counts its spans as dropped.
"""

from __future__ import annotations

import gzip
import os
import random
import threading
import time
import urllib.parse
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import requests
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from vibes_sdk._internal import guard, otlp_wire

RETRYABLE = frozenset({429, 502, 503, 504})
MAX_ATTEMPTS = 6
_CONNECTION_ERRORS = (requests.ConnectionError, requests.Timeout)
_COMPRESS = {"gzip": gzip.compress, "deflate": zlib.compress}


def _setting(env: Mapping[str, str], name: str) -> str | None:
    """The traces variable, else the generic one (the OpenTelemetry SDK's precedence)."""
    value = env.get(f"OTEL_EXPORTER_OTLP_TRACES_{name}") or env.get(f"OTEL_EXPORTER_OTLP_{name}")
    return value.strip() if value and value.strip() else None


def _shown(url: str) -> str:
    """The endpoint as log lines may show it: without user:password@."""
    scheme, netloc, path, query, fragment = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit((scheme, netloc.rpartition("@")[2], path, query, fragment))


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("retry-after", "").strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None  # absent, or an HTTP date: the exponential backoff instead


class OtlpHttpSpanExporter(SpanExporter):
    def __init__(self, endpoint: str, headers: Mapping[str, str], timeout: float,
                 env: Mapping[str, str] = os.environ) -> None:
        self._endpoint = endpoint
        self._shown = _shown(endpoint)
        self._timeout = timeout
        self._done = threading.Event()
        self._session = requests.Session()
        self._session.headers.update({"Content-Type": "application/x-protobuf", "User-Agent": "vibes-sdk"})
        self._session.headers.update(headers)
        compression = (_setting(env, "COMPRESSION") or "none").lower()
        if compression != "none" and compression not in _COMPRESS:
            guard.warn_once("otlp-compression", "vibes_sdk: unknown OTLP compression %r, sending uncompressed",
                            compression)
            compression = "none"
        self._compress = _COMPRESS.get(compression)
        if self._compress is not None:
            self._session.headers["Content-Encoding"] = compression
        certificate = _setting(env, "CERTIFICATE")
        if certificate:
            self._session.verify = certificate
        client_certificate, client_key = _setting(env, "CLIENT_CERTIFICATE"), _setting(env, "CLIENT_KEY")
        if client_certificate:
            self._session.cert = (client_certificate, client_key) if client_key else client_certificate

    def export(self, spans: Sequence[Any]) -> SpanExportResult:
        if self._done.is_set():
            return SpanExportResult.FAILURE
        data = otlp_wire.encode_spans(spans)
        if self._compress is not None:
            data = self._compress(data)
        return SpanExportResult.SUCCESS if self._post(data) else SpanExportResult.FAILURE

    def _post(self, data: bytes) -> bool:
        deadline = time.monotonic() + self._timeout
        for attempt in range(MAX_ATTEMPTS):
            backoff = 2 ** attempt * random.uniform(0.8, 1.2)
            try:
                response = self._session.post(self._endpoint, data=data, allow_redirects=False,
                                              timeout=max(deadline - time.monotonic(), 0.001))
            except _CONNECTION_ERRORS as err:
                failure = type(err).__name__
                if attempt == 0:
                    backoff = 0.0  # most often a pooled connection the collector closed: a new one at once
            except Exception as err:  # noqa: BLE001 - a bad URL, a closed session: not worth a retry
                guard.warn_once(f"otlp-traces:{type(err).__name__}", "vibes_sdk: span export to %s failed: %s",
                                self._shown, err)
                return False
            else:
                if 200 <= response.status_code < 400:
                    return True
                failure = f"HTTP {response.status_code}"
                if response.status_code not in RETRYABLE:
                    guard.warn_once(f"otlp-traces:{failure}", "vibes_sdk: span export to %s refused: %s %s",
                                    self._shown, failure, response.text[:200])
                    return False
                asked = _retry_after(response)
                backoff = backoff if asked is None else asked
            if attempt + 1 == MAX_ATTEMPTS or backoff > deadline - time.monotonic() or self._done.wait(backoff):
                guard.warn_once(f"otlp-traces-gave-up:{failure}", "vibes_sdk: span export to %s failed (%s) "
                                "until its timeout or shutdown", self._shown, failure)
                return False
        return False

    def shutdown(self) -> None:
        self._done.set()
        self._session.close()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True  # nothing is buffered here

"""A minimal Prometheus remote-write (v1) client: controlled samples, exact timestamps.

The wire format is small and fixed, so it is encoded here rather than pulling in compiled protobuf
classes and a snappy binding: `WriteRequest{TimeSeries{Label, Sample}}` as protobuf, compressed as a
snappy block made of literals only (valid snappy; a decoder needs no back-references).
"""
from __future__ import annotations

import http.client
import struct
import threading
import time
from typing import Iterable, Mapping
from urllib.parse import urlsplit

Series = tuple[Mapping[str, str], Iterable[tuple[float, int]]]  # labels (with __name__), (value, ms)
HEADERS = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf",
           "X-Prometheus-Remote-Write-Version": "0.1.0"}


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, payload: bytes) -> bytes:  # wire type 2: length-delimited
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _sample(value: float, timestamp_ms: int) -> bytes:
    # field 1 double (wire type 1), field 2 int64 varint (two's complement for negatives)
    return b"\x09" + struct.pack("<d", value) + b"\x10" + _varint(timestamp_ms & 0xFFFFFFFFFFFFFFFF)


def encode(series: Iterable[Series]) -> bytes:
    """A WriteRequest; labels sorted by name, as the receivers require."""
    body = bytearray()
    for labels, samples in series:
        ts = b"".join(_field(1, _field(1, k.encode()) + _field(2, v.encode())) for k, v in sorted(labels.items()))
        ts += b"".join(_field(2, _sample(value, t)) for value, t in samples)
        body += _field(1, ts)
    return bytes(body)


def snappy_literals(data: bytes) -> bytes:
    out = bytearray(_varint(len(data)))
    for start in range(0, len(data), 65536):
        chunk = data[start:start + 65536]
        n = len(chunk) - 1
        out += bytes([n << 2]) if n < 60 else bytes([61 << 2]) + struct.pack("<H", n)
        out += chunk
    return bytes(out)


class Writer:
    """POSTs write requests to one URL over a kept-alive connection; counts what was accepted."""

    def __init__(self, url: str, timeout: float = 10):
        parts = urlsplit(url)
        self.host, self.port, self.path, self.timeout = parts.hostname, parts.port, parts.path, timeout
        self._conn: http.client.HTTPConnection | None = None

    def send(self, series: Iterable[Series]) -> tuple[int, str]:
        """(HTTP status, body) — status 0 with the error text when the connection failed."""
        payload = snappy_literals(encode(series))
        try:
            if self._conn is None:
                self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn.request("POST", self.path, body=payload, headers=HEADERS)
            response = self._conn.getresponse()
            return response.status, response.read().decode(errors="replace")
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            return 0, repr(exc)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


LOAD_METRIC = "vibes_test_load_total"  # test-only series: counters SteadyLoad controls


class SteadyLoad:
    """Writes ``series`` counters (+1 per batch, exact timestamps) every ``interval`` seconds,
    alternating the routers, until stopped; counts accepted and failed writes."""

    def __init__(self, urls: list[str], series: int, interval: float, tag: str):
        self.writers = [Writer(u) for u in urls]
        self.series, self.interval, self.tag = series, interval, tag
        self.batches, self.failures, self.last_ms = 0, [], 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.batches += 1
            at = int(time.time() * 1000)
            batch = [({"__name__": LOAD_METRIC, "load": self.tag, "series": str(i)}, [(float(self.batches), at)])
                     for i in range(self.series)]
            status, body = self.writers[self.batches % len(self.writers)].send(batch)
            if not 200 <= status < 300:
                self.failures.append((self.batches, status, body[:200]))
            self.last_ms = at
            self._stop.wait(self.interval)

    def __enter__(self) -> "SteadyLoad":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    @property
    def samples(self) -> int:
        return self.batches * self.series

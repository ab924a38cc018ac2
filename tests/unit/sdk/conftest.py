"""In-memory pipelines for vibes_sdk unit tests (no collector, no network)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter, SimpleLogRecordProcessor
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import vibes_sdk
from vibes_sdk._internal import guard, runtime
from vibes_sdk.config import load_config


@dataclass
class Point:
    attributes: dict[str, Any]
    value: Any = None  # sums and gauges
    count: int | None = None  # histograms
    sum: float | None = None
    bucket_counts: list[int] | None = None
    bounds: list[float] | None = None


class Harness:
    def __init__(self, spans: InMemorySpanExporter, reader: InMemoryMetricReader,
                 logs: InMemoryLogRecordExporter) -> None:
        self.span_exporter = spans
        self.reader = reader
        self.log_exporter = logs

    def spans(self) -> list[Any]:
        return list(self.span_exporter.get_finished_spans())

    def span(self, name: str) -> Any:
        found = [s for s in self.spans() if s.name == name]
        assert len(found) == 1, f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        return found[0]

    def logs(self) -> list[Any]:
        return [getattr(r, "log_record", r) for r in self.log_exporter.get_finished_logs()]

    def metrics(self) -> dict[str, list[Point]]:
        out: dict[str, list[Point]] = {}
        data = self.reader.get_metrics_data()
        if data is None:
            return out
        for rm in data.resource_metrics:
            for sm in rm.scope_metrics:
                for metric in sm.metrics:
                    for dp in metric.data.data_points:
                        attrs = dict(dp.attributes or {})
                        if hasattr(dp, "bucket_counts"):
                            p = Point(attrs, count=dp.count, sum=dp.sum,
                                      bucket_counts=list(dp.bucket_counts), bounds=list(dp.explicit_bounds))
                        else:
                            p = Point(attrs, value=dp.value)
                        out.setdefault(metric.name, []).append(p)
        return out

    def total(self, name: str, where: Callable[[dict[str, Any]], bool] = lambda a: True) -> float:
        """Sum of a counter's values (or a histogram's sums) over the points that match."""
        total = 0.0
        for p in self.metrics().get(name, []):
            if where(p.attributes):
                total += p.value if p.value is not None else (p.sum or 0.0)
        return total

    def hist_count(self, name: str, where: Callable[[dict[str, Any]], bool] = lambda a: True) -> int:
        return sum(p.count or 0 for p in self.metrics().get(name, []) if where(p.attributes))


def start_sdk(**config: Any) -> Harness:
    config.setdefault("traces_exporter", "none")
    config.setdefault("metrics_exporter", "none")
    config.setdefault("logs_exporter", "none")
    config.setdefault("system_metrics", False)
    cfg = load_config(env={}, **config)
    spans, reader, logs = InMemorySpanExporter(), InMemoryMetricReader(), InMemoryLogRecordExporter()
    runtime.start(cfg, span_processors=[SimpleSpanProcessor(spans)], metric_readers=[reader],
                  log_processors=[SimpleLogRecordProcessor(logs)])
    return Harness(spans, reader, logs)


@pytest.fixture
def sdk_factory():
    started = []

    def factory(**config: Any) -> Harness:
        vibes_sdk.shutdown(5)  # whatever an earlier test left running, these pipelines are ours
        h = start_sdk(**config)
        started.append(h)
        return h

    yield factory
    vibes_sdk.shutdown(5)
    runtime.COST_TRACKER.reset()
    guard._seen.clear()


@pytest.fixture
def sdk(sdk_factory) -> Harness:
    return sdk_factory()

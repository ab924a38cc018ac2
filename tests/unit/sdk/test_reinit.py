"""A re-init() moves every foreign tracer, meter and logger to the new pipelines.

OTel's global API lets a process set each provider once, and what it hands out stays bound to
the first real provider; instrumentations that took a tracer before or after the first init()
must not be left on a provider that a later shutdown() closed.
"""
from opentelemetry import _logs as otel_logs
from opentelemetry import metrics as otel_metrics
from opentelemetry import trace as otel_trace

import vibes_sdk


def _foreign_work(tracer, counter, gauge_calls, logger, tag: str) -> None:
    with tracer.start_as_current_span(f"foreign {tag}"):
        pass
    tracer.start_span(f"foreign plain {tag}").end()
    counter.add(1, {"run": tag})
    logger.emit(body=f"foreign log {tag}")


def test_foreign_instrumentation_follows_every_init(sdk_factory):
    # taken before any init of this test: an instrumentation imported at start-up
    early_tracer = otel_trace.get_tracer("foreign.early")
    first = sdk_factory()
    late_tracer = otel_trace.get_tracer("foreign.late")  # taken while the first pipelines run
    meter = otel_metrics.get_meter("foreign.meter")
    counter = meter.create_counter("foreign.calls")
    observed = []
    meter.create_observable_gauge("foreign.level", callbacks=[lambda options: observed.append(1) or []])
    logger = otel_logs.get_logger("foreign.logger")

    for tracer in (early_tracer, late_tracer):
        _foreign_work(tracer, counter, observed, logger, "one")
    assert {s.name for s in first.spans()} >= {"foreign one", "foreign plain one"}
    assert first.total("foreign.calls") == 2
    assert [r.body for r in first.logs()].count("foreign log one") == 2

    second = sdk_factory()  # shutdown + init: the first providers are closed now
    for tracer in (early_tracer, late_tracer):
        _foreign_work(tracer, counter, observed, logger, "two")
    names_two = [s.name for s in second.spans()]
    assert names_two.count("foreign two") == 2 and names_two.count("foreign plain two") == 2
    assert second.total("foreign.calls") == 2
    assert [r.body for r in second.logs()].count("foreign log two") == 2
    before = len(observed)
    second.metrics()  # a collection runs the observable callback registered on the new meter
    assert len(observed) > before
    # nothing of the second run reached the closed pipelines
    assert not [s for s in first.spans() if s.name.endswith("two")]


def test_after_shutdown_foreign_calls_are_quiet_no_ops(sdk_factory):
    tracer = otel_trace.get_tracer("foreign.after")
    h = sdk_factory()
    vibes_sdk.shutdown(5)
    span = tracer.start_span("after shutdown")
    span.end()
    assert not span.get_span_context().is_valid
    assert "after shutdown" not in [s.name for s in h.spans()]

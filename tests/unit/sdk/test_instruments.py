"""Every instrument of names.INSTRUMENTS is emitted with its name, unit, kind and buckets."""

from __future__ import annotations

from opentelemetry.sdk.metrics.export import Gauge, Histogram, Sum

import vibes_sdk as vibes
from vibes_sdk import names
from vibes_sdk._internal import guard

KIND = {"counter": Sum, "updown_counter": Sum, "histogram": Histogram, "gauge": Gauge}


def full_workload():
    with vibes.session("s", cost_center="cc") as s, vibes.swarm("sw") as sw, vibes.agent("a"):
        s.record_event("e"); s.record_message()
        with sw.coordination():
            pass
        with vibes.task("t"):
            with vibes.llm_call(model="gpt-4o", provider="openai") as c:
                c.first_chunk()
                c.record_usage(10, 5)
            with vibes.llm_call(model="nope-model", provider="x") as c:
                c.record_usage(1, 1)
            with vibes.tool_call("tool"):
                pass
    guard.count_drop("traces", "queue_full", 2)


def test_every_instrument_emitted_as_declared(sdk):
    full_workload()
    data = sdk.reader.get_metrics_data()
    emitted = {m.name: m for rm in data.resource_metrics for sm in rm.scope_metrics for m in sm.metrics}
    for inst in names.INSTRUMENTS:
        assert inst.name in emitted, f"{inst.name} not emitted"
        metric = emitted[inst.name]
        assert metric.unit == inst.unit, inst.name
        assert isinstance(metric.data, KIND[inst.kind]), (inst.name, type(metric.data))
        if inst.kind == "counter":
            assert metric.data.is_monotonic
        if inst.kind == "updown_counter":
            assert not metric.data.is_monotonic
        if inst.kind == "histogram":
            for dp in metric.data.data_points:
                assert tuple(dp.explicit_bounds) == tuple(inst.buckets), inst.name
        for dp in metric.data.data_points:
            assert set(dp.attributes) <= set(inst.labels), (inst.name, dict(dp.attributes))
    dropped = [dp for dp in emitted[names.SDK_DROPPED.name].data.data_points
               if dict(dp.attributes) == {"signal": "traces", "reason": "queue_full"}]
    assert dropped[0].value == 2


def test_foreign_semconv_histograms_keep_declared_labels_and_buckets_beside_ours(sdk):
    """The SDK's own hot histograms skip the label filter (their labels are declared by
    construction); a foreign meter recording the same semconv names is still filtered,
    bucketed, and both land in one stream per label set without double counting."""
    from opentelemetry import metrics as otel_metrics

    foreign = otel_metrics.get_meter("opentelemetry.instrumentation.some_llm_lib")
    usage = foreign.create_histogram(names.TOKEN_USAGE.name, unit="{token}")
    duration = foreign.create_histogram(names.OPERATION_DURATION.name, unit="s")
    labels = {names.GEN_AI_OPERATION_NAME: "chat", names.GEN_AI_PROVIDER_NAME: "foreign",
              names.GEN_AI_REQUEST_MODEL: "m-1", names.GEN_AI_TOKEN_TYPE: "input"}
    usage.record(70, {**labels, "session.id": "must-not-survive", "user.id": "nor-this"})
    duration.record(0.3, {names.GEN_AI_OPERATION_NAME: "chat", "server.address": "api.example"})
    with vibes.llm_call(model="gpt-4o", provider="openai") as call:
        call.record_usage(10, 5)

    points = sdk.metrics()
    foreign_usage = [p for p in points[names.TOKEN_USAGE.name]
                     if p.attributes.get(names.GEN_AI_PROVIDER_NAME) == "foreign"]
    assert [p.attributes for p in foreign_usage] == [labels]  # undeclared labels dropped
    assert foreign_usage[0].bounds == list(names.TOKEN_BUCKETS) and foreign_usage[0].sum == 70
    foreign_duration = [p for p in points[names.OPERATION_DURATION.name]
                        if p.attributes == {names.GEN_AI_OPERATION_NAME: "chat"}]
    assert len(foreign_duration) == 1 and foreign_duration[0].bounds == list(names.DURATION_BUCKETS)
    ours = [p for p in points[names.TOKEN_USAGE.name]
            if p.attributes.get(names.GEN_AI_PROVIDER_NAME) == "openai"]
    assert sorted((p.attributes[names.GEN_AI_TOKEN_TYPE], p.count, p.sum) for p in ours) == [
        ("input", 1, 10), ("output", 1, 5)]  # one stream per label set: counted once
    assert all(p.bounds == list(names.TOKEN_BUCKETS) for p in ours)

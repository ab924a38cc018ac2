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

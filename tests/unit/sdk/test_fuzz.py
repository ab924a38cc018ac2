"""Property fuzzing: garbage into every public call never raises after init."""

from __future__ import annotations

import asyncio

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vibes_sdk as vibes
from vibes_sdk import names

garbage = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300), st.binary(max_size=50), st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), st.just(object()),
    st.just(float("nan")), st.just(-1), st.just(10**30),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))


@SETTINGS
@given(model=garbage, provider=garbage, op=garbage, attrs=garbage, usage=st.lists(garbage, min_size=5, max_size=5),
       response=st.lists(garbage, min_size=3, max_size=3), ttfc=garbage, content=garbage)
def test_llm_call_with_garbage(sdk_factory, model, provider, op, attrs, usage, response, ttfc, content):
    _ensure(sdk_factory)
    with vibes.llm_call(model=model, provider=provider, operation=op, attributes=attrs) as c:
        c.record_usage(*usage[:2], cache_read_tokens=usage[2], cache_creation_tokens=usage[3],
                       reasoning_tokens=usage[4])
        c.set_response(*response)
        c.record_time_to_first_chunk(ttfc)
        c.first_chunk()
        c.record_input(content, system_instructions=content)
        c.record_output(content)
        c.set_error(content)
        c.set_attribute(content, content)


@SETTINGS
@given(values=st.lists(garbage, min_size=8, max_size=8))
def test_scopes_and_units_with_garbage(sdk_factory, values):
    _ensure(sdk_factory)
    a, b, c, d, e, f, g, h = values
    with vibes.session(a, user_id=b, cost_center=c) as s, vibes.swarm(d) as sw, vibes.agent(e, agent_id=f):
        s.record_event(g, **({"k": h}))
        s.record_message(g, n=h)
        sw.set_utilization(h)
        with vibes.user(a), vibes.cost_center(b), vibes.model(c), vibes.workflow(d):
            with vibes.task(e, agent=f, agent_id=g), vibes.tool_call(h, call_id=a, tool_type=b, arguments=c) as t:
                t.record_result(d)
        vibes.get_logger(a).info(b, **{"x": c, "message": d, "args": e})
        vibes.inject({"k": "v"})
        with vibes.extract({"traceparent": a if isinstance(a, str) else "x", "baggage": str(b)}):
            pass


@SETTINGS
@given(name=garbage, kind=garbage)
def test_instrument_with_garbage(sdk_factory, name, kind):
    _ensure(sdk_factory)
    deco = vibes.instrument(name=name, kind=kind if isinstance(kind, str) else "span")
    assert deco(3) == 3  # not callable: returned unchanged

    @deco
    async def f():
        return 1

    assert asyncio.run(f()) == 1


def test_fuzzing_left_sdk_healthy(sdk):
    with vibes.llm_call(model="gpt-4o", provider="openai") as c:
        c.record_usage(7, 3)
    assert sdk.total(names.TOKENS.name) == 10


_started = {}


def _ensure(factory):
    # one SDK per test function (hypothesis reuses the function-scoped fixture)
    if not vibes.enabled():
        factory()


@SETTINGS
@given(values=st.lists(garbage, min_size=4, max_size=4))
def test_garbage_before_init_is_a_no_op(values):
    assert not vibes.enabled()
    a, b, c, d = values
    with vibes.session(a, user_id=b), vibes.task(c), vibes.llm_call(model=d, provider=a) as call:
        call.record_usage(b, c, cache_read_tokens=d)
        call.set_response(a, b, c)
    vibes.inject({"x": "y"})

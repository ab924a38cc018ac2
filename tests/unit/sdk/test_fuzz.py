"""Property fuzzing: garbage into every public call never raises after init."""

from __future__ import annotations

import asyncio

import pytest

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import vibes_sdk as vibes
from vibes_sdk import names

class _Hostile:
    """An object whose every conversion raises (or lies), as a host's odd types may."""

    def __init__(self, how: str) -> None:
        self.how = how

    def _fail(self, *args):
        raise RuntimeError(f"hostile {self.how}")

    def __str__(self):
        return 42 if self.how == "str-not-str" else self._fail()  # type: ignore[return-value]

    __repr__ = __int__ = __index__ = __float__ = __bool__ = __len__ = __iter__ = _fail

    def __hash__(self):
        return self._fail() if self.how == "hash" else 1

    def __eq__(self, other):
        return self._fail()


class _Deep:
    """Converts like a deeply nested structure (RecursionError) but prints short for hypothesis."""

    def __init__(self, depth: int) -> None:
        value: list = []
        for _ in range(depth):
            value = [value]
        self.value = value

    def __str__(self):
        return str(self.value)

    def __repr__(self):
        return "<deeply nested list>"


hostile = st.one_of(
    st.sampled_from(["str", "str-not-str", "hash", "int"]).map(_Hostile),
    st.integers(min_value=2**63, max_value=10**400), st.integers(min_value=-(10**400), max_value=-(2**63)),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=5)
    .map(lambda s: "x" + s + "y"),  # lone surrogates, as from json.loads of model output
    st.sampled_from([10**30, 2**64, 1e30, 1e308, float("inf"), -float("inf"), float("nan")]),
    st.integers(min_value=1_000, max_value=200_000).map(_Deep),
)
garbage = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=300), st.binary(max_size=50), st.lists(st.integers(), max_size=5),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3), st.just(object()),
    st.just(float("nan")), st.just(-1), st.just(10**30), hostile,
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
        with vibes.extract({"traceparent": a if isinstance(a, str) else "x", "baggage": b if isinstance(b, str) else "k=v"}):
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


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(values=st.lists(garbage, min_size=8, max_size=8))
def test_every_other_calls_data_still_reaches_a_live_receiver(live_receiver, values):
    """Garbage into every public call, then one good call: its span, tokens and log
    record are decoded at a live OTLP receiver (the garbage cost no other data)."""
    import uuid

    from .test_hostile_host import every_public_call, wait_for
    for v in values:
        every_public_call(v)
    marker = uuid.uuid4().hex
    with vibes.llm_call(model="gpt-4o", provider="openai", attributes={"marker": marker}) as c:
        c.record_usage(100, 10)
    vibes.get_logger("app").warning("good %s", marker)
    wait_for(lambda: any(s["attributes"].get("marker") == marker for _, s in live_receiver.spans()), "the good span")
    wait_for(lambda: any(r["body"] == f"good {marker}" for _, r in live_receiver.logs()), "the good log record")


_started = {}


@pytest.fixture
def live_receiver():
    from .otlp_sink import OtlpSink
    from .test_hostile_host import FAST
    with OtlpSink() as sink:
        vibes.shutdown(5)
        vibes.init(endpoint=sink.endpoint, service_name="fuzz", **FAST)
        yield sink
        vibes.shutdown(5)


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

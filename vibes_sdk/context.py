"""Agent context (session, agent, swarm, user, model, cost center) carried in contextvars.

Every scope here is a sync AND async context manager. Context follows asyncio tasks
on its own (contextvars), threads through :func:`wrap`/:func:`submit`, and processes
through :func:`inject`/:func:`extract` (W3C trace context + baggage).
"""

from __future__ import annotations

import contextvars
import time
import uuid
from concurrent.futures import Executor, Future
from typing import Any, Callable, Mapping, MutableMapping, TypeVar

from opentelemetry import baggage as otel_baggage
from opentelemetry import context as otel_context
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import Getter
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from vibes_sdk import names
from vibes_sdk._internal import guard, sanitize
from vibes_sdk._internal import runtime as _rt
from vibes_sdk._internal.current import CTX as _CTX
from vibes_sdk._internal.current import EMPTY, MAX_ID_LEN, TraceContext
from vibes_sdk._internal.current import SWARM as _SWARM
from vibes_sdk._internal.scopes import SyncAndAsync, _Noop, made
from vibes_sdk.logs import emit_session_summary

T = TypeVar("T")
_MAX_ID_LEN = MAX_ID_LEN


def _text(value: Any) -> str | None:
    """Context values are short clean strings; anything else is converted, never rejected."""
    return sanitize.text(value, _MAX_ID_LEN)


def current_context() -> TraceContext:
    """The TraceContext active here (an empty one outside every scope)."""
    return _CTX.get()


# -------------------------------------------------------------------- scopes
class _Scope(SyncAndAsync):
    """Sets context fields for its body; subclasses add metrics on enter/exit."""

    def __init__(self, **changes: Any) -> None:
        self._changes = changes
        self._token: contextvars.Token[TraceContext] | None = None
        self.context: TraceContext = EMPTY
        self._live = False  # metrics started on enter: only then are they closed on exit

    def _on_enter(self) -> None: ...
    def _on_exit(self, error: BaseException | None) -> None: ...

    def __enter__(self) -> Any:
        try:
            self.context = _CTX.get().updated(**self._changes)
            self._token = _CTX.set(self.context)
            if _rt.STATE is not None:
                self._on_enter()
                self._live = True
        except Exception as exc:  # noqa: BLE001
            guard.suppressed(type(self).__name__ + ".enter", exc)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        try:
            if _rt.STATE is not None and self._live:
                self._live = False
                self._on_exit(exc)
        except Exception as err:  # noqa: BLE001
            guard.suppressed(type(self).__name__ + ".exit", err)
        if self._token is not None:
            try:
                _CTX.reset(self._token)
            except ValueError:  # exited in another context (e.g. a generator moved threads)
                pass
            self._token = None
        return False



def _cc_labels(ctx: TraceContext) -> dict[str, str]:
    return {names.VIBES_COST_CENTER: ctx.cost_center} if ctx.cost_center else {}


class SessionScope(_Scope):
    """A conversation/session. ``record_event()``/``record_message()`` feed the session metrics."""

    def __init__(self, session_id: Any = None, *, user_id: Any = None, cost_center: Any = None) -> None:
        self.session_id = _text(session_id) or uuid.uuid4().hex
        super().__init__(session_id=self.session_id, user_id=user_id, cost_center=cost_center)
        self._started = 0.0

    def _on_enter(self) -> None:
        self._started = time.monotonic()
        st = _rt.STATE
        st.inst.session_active.add(1, _cc_labels(self.context))  # type: ignore[union-attr]
        st.tracker.open_session(self.session_id)  # type: ignore[union-attr]

    def _on_exit(self, error: BaseException | None) -> None:
        st = _rt.STATE
        duration = time.monotonic() - self._started
        try:
            # The summary first: a metrics failure must not lose the session's cost record.
            totals = st.tracker.close_session(self.session_id)  # type: ignore[union-attr]
            if totals is not None:  # None: an outer scope with the same id is still open
                emit_session_summary(st.logger_provider, self.context, totals,  # type: ignore[union-attr]
                                     duration, error)
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("session.summary", exc, "logs")
        labels = _cc_labels(self.context)
        st.inst.session_active.add(-1, labels)  # type: ignore[union-attr]
        st.inst.session_duration.record(duration, labels)  # type: ignore[union-attr]

    def record_event(self, name: Any = "event", **fields: Any) -> None:
        """Count one session event; also logged as an event record with the context."""
        try:
            if _rt.STATE is None:
                return
            _rt.STATE.inst.session_events.add(1, _cc_labels(self.context))
            _rt.STATE.emit_event(_text(name) or "event", fields, _CTX.get())
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("session.record_event", exc, "metrics")

    def record_message(self, role: Any = "user", n: int = 1) -> None:
        """Count messages exchanged in the session (content is never recorded here)."""
        try:
            if _rt.STATE is None:
                return
            count = int(n) if isinstance(n, (int, float)) and not isinstance(n, bool) and n > 0 else 1
            _rt.STATE.inst.session_messages.add(count, _cc_labels(self.context))
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("session.record_message", exc, "metrics")


class AgentScope(_Scope):
    """An agent's lifetime: ``vibes.agent.active`` while inside, ``vibes.agent.spawned`` +1."""

    def __init__(self, name: Any = None, *, agent_id: Any = None, model: Any = None) -> None:
        self.agent_name = _text(name)
        self.agent_id = _text(agent_id) or uuid.uuid4().hex[:16]
        super().__init__(agent_name=self.agent_name, agent_id=self.agent_id, model=model)
        self._swarm: SwarmScope | None = None

    def _labels(self) -> dict[str, str]:
        labels = _cc_labels(self.context)
        if self.agent_name:
            labels[names.GEN_AI_AGENT_NAME] = self.agent_name
        return labels

    def _on_enter(self) -> None:
        inst = _rt.STATE.inst  # type: ignore[union-attr]
        labels = self._labels()
        inst.agent_active.add(1, labels)
        inst.agent_spawned.add(1, labels)
        self._swarm = _SWARM.get()
        if self._swarm is not None:
            self._swarm._join(self.agent_id)

    def _on_exit(self, error: BaseException | None) -> None:
        _rt.STATE.inst.agent_active.add(-1, self._labels())  # type: ignore[union-attr]
        if self._swarm is not None:
            self._swarm._leave(self.agent_id)


class SwarmScope(_Scope):
    """A group of cooperating agents: active count, coordination time, agent utilisation."""

    def __init__(self, swarm_id: Any = None, *, cost_center: Any = None) -> None:
        self.swarm_id = _text(swarm_id) or uuid.uuid4().hex
        super().__init__(swarm_id=self.swarm_id, cost_center=cost_center)
        self._agents: dict[str, int] = {}  # agent id -> tasks in progress
        self._swarm_token: contextvars.Token[SwarmScope | None] | None = None

    def __enter__(self) -> SwarmScope:
        self._swarm_token = _SWARM.set(self)
        return super().__enter__()  # type: ignore[no-any-return]

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        super().__exit__(exc_type, exc, tb)
        if self._swarm_token is not None:
            try:
                _SWARM.reset(self._swarm_token)
            except ValueError:
                pass
        return False

    def _on_enter(self) -> None:
        _rt.STATE.inst.swarm_active.add(1, _cc_labels(self.context))  # type: ignore[union-attr]

    def _on_exit(self, error: BaseException | None) -> None:
        _rt.STATE.inst.swarm_active.add(-1, _cc_labels(self.context))  # type: ignore[union-attr]

    # agents and tasks report here so utilisation needs no user code
    def _join(self, agent_id: str) -> None:
        self._agents.setdefault(agent_id, 0)
        self._publish()

    def _leave(self, agent_id: str) -> None:
        self._agents.pop(agent_id, None)
        self._publish()

    def _task(self, agent_id: str | None, delta: int) -> None:
        if agent_id is None:
            return
        self._agents[agent_id] = max(0, self._agents.get(agent_id, 0) + delta)
        self._publish()

    def _publish(self) -> None:
        if _rt.STATE is None or not self._agents:
            return
        busy = sum(1 for n in self._agents.values() if n > 0)
        self.set_utilization(busy / len(self._agents))

    def set_utilization(self, ratio: Any) -> None:
        """Override the automatic utilisation (share of agents busy, 0..1)."""
        try:
            if _rt.STATE is None:
                return
            value = min(1.0, max(0.0, float(ratio)))
            if value == value:  # not NaN
                _rt.STATE.inst.swarm_utilization.set(value, _cc_labels(self.context))
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("swarm.set_utilization", exc, "metrics")

    def coordination(self) -> _Coordination:
        """Time spent coordinating (planning, hand-offs): ``with swarm.coordination(): ...``."""
        return _Coordination(self)


class _Coordination(SyncAndAsync):
    def __init__(self, swarm: SwarmScope) -> None:
        self._swarm = swarm
        self._start = 0.0

    def __enter__(self) -> _Coordination:
        self._start = time.monotonic()
        return self

    def __exit__(self, *exc: Any) -> bool:
        try:
            if _rt.STATE is not None:
                _rt.STATE.inst.swarm_coordination.record(
                    time.monotonic() - self._start, _cc_labels(self._swarm.context))
        except Exception as err:  # noqa: BLE001
            guard.suppressed("swarm.coordination", err, "metrics")
        return False


def session(session_id: Any = None, *, user_id: Any = None, cost_center: Any = None) -> SessionScope | _Noop:
    """A session (conversation); an id is generated when none is given."""
    return made(SessionScope, "session", session_id, user_id=user_id, cost_center=cost_center)


def agent(name: Any = None, *, agent_id: Any = None, model: Any = None) -> AgentScope | _Noop:
    return made(AgentScope, "agent", name, agent_id=agent_id, model=model)


def swarm(swarm_id: Any = None, *, cost_center: Any = None) -> SwarmScope | _Noop:
    return made(SwarmScope, "swarm", swarm_id, cost_center=cost_center)


def user(user_id: Any) -> _Scope | _Noop:
    return made(_Scope, "user", user_id=user_id)


def cost_center(name: Any) -> _Scope | _Noop:
    return made(_Scope, "cost_center", cost_center=name)


def model(name: Any) -> _Scope | _Noop:
    """Default model for the body (stamped as gen_ai.request.model where a span has none)."""
    return made(_Scope, "model", model=name)


# ------------------------------------------------------------- threads
def wrap(fn: Callable[..., T]) -> Callable[..., T]:
    """Bind `fn` to the current context (vibes + OpenTelemetry) for another thread.

    What `fn` raises is the host's own error and reaches the caller unchanged."""
    captured = contextvars.copy_context()

    def run_in_context(*args: Any, **kwargs: Any) -> T:
        # a copy per call: one Context object cannot be entered by two threads at once
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_context


def submit(executor: Executor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """``executor.submit`` that carries the current context into the worker."""
    return executor.submit(wrap(fn), *args, **kwargs)


# ------------------------------------------------------------- processes
_PROPAGATOR = CompositePropagator([TraceContextTextMapPropagator(), W3CBaggagePropagator()])
_BAGGAGE_FIELDS = {attr: f for f, attr in names.CONTEXT_ATTRIBUTES.items()}


class _LenientGetter(Getter[Mapping[str, Any]]):
    """Reads HTTP headers (any case) and message-queue dicts (str or bytes values)."""

    def get(self, carrier: Mapping[str, Any], key: str) -> list[str] | None:
        value = carrier.get(key)
        if value is None:
            lowered = key.lower()
            for k, v in carrier.items():
                if isinstance(k, str) and k.lower() == lowered:
                    value = v
                    break
        if value is None:
            return None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        if isinstance(value, (list, tuple)):
            return [x.decode("utf-8", "replace") if isinstance(x, bytes) else str(x) for x in value]
        return [str(value)]

    def keys(self, carrier: Mapping[str, Any]) -> list[str]:
        return [k for k in carrier.keys() if isinstance(k, str)]


_GETTER = _LenientGetter()


def inject(carrier: MutableMapping[str, str] | None = None) -> MutableMapping[str, str]:
    """Write traceparent/tracestate/baggage (with the vibes context) into `carrier`."""
    carrier = {} if carrier is None else carrier
    try:
        ctx = otel_context.get_current()
        for key, value in _CTX.get().attributes:
            ctx = otel_baggage.set_baggage(key, value, ctx)
        _PROPAGATOR.inject(carrier, context=ctx)
    except Exception as exc:  # noqa: BLE001
        guard.suppressed("inject", exc)
    return carrier


class ExtractedScope(_Scope):
    """Attach a remote parent and its vibes context: ``with extract(headers): ...``."""

    def __init__(self, carrier: Any) -> None:
        self._otel_ctx = None
        changes: dict[str, Any] = {}
        try:
            if isinstance(carrier, Mapping):
                self._otel_ctx = _PROPAGATOR.extract(carrier, getter=_GETTER)
                for key, value in otel_baggage.get_all(self._otel_ctx).items():
                    if key in _BAGGAGE_FIELDS:
                        changes[_BAGGAGE_FIELDS[key]] = value
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("extract", exc)
        super().__init__(**changes)
        self._otel_token: Any = None

    def __enter__(self) -> ExtractedScope:
        if self._otel_ctx is not None:
            self._otel_token = otel_context.attach(self._otel_ctx)
        return super().__enter__()  # type: ignore[no-any-return]

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        super().__exit__(exc_type, exc, tb)
        if self._otel_token is not None:
            try:
                otel_context.detach(self._otel_token)
            except Exception:  # noqa: BLE001
                pass
        return False


def extract(carrier: Any) -> ExtractedScope | _Noop:
    """The inverse of :func:`inject`, used as a (sync or async) context manager."""
    return made(ExtractedScope, "extract", carrier)

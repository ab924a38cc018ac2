"""Work units: task (invoke_agent), llm_call (inference), tool_call (execute_tool),
workflow (invoke_workflow), and the ``@instrument`` decorator.

Each is a sync and async context manager. Before init, after shutdown and when disabled
they return shared no-op handles (the disabled path costs well under 2 µs). After init
nothing here raises: SDK errors are swallowed, logged once and counted as drops.
"""

from __future__ import annotations

import functools
import inspect
import json
import time
from typing import Any, Callable, TypeVar

from opentelemetry import context as otel_context
from opentelemetry.trace import SpanKind, Status, StatusCode, set_span_in_context

from vibes_sdk import names
from vibes_sdk._internal import guard, sanitize
from vibes_sdk._internal import runtime as _rt
from vibes_sdk._internal.resume import async_generator_wrapper, generator_wrapper
from vibes_sdk._internal.scopes import NOOP, SyncAndAsync, _Noop, made
from vibes_sdk._internal.current import CTX as _CTX
from vibes_sdk._internal.current import LLM as _CURRENT_LLM
from vibes_sdk._internal.current import MAX_ID_LEN as _MAX_ID_LEN
from vibes_sdk._internal.current import SWARM as _SWARM
from vibes_sdk._internal.current import TASK as _CURRENT_TASK
from vibes_sdk.context import _text
from vibes_sdk.cost import Usage, reconcile

F = TypeVar("F", bound=Callable[..., Any])
_perf = time.perf_counter


_count = sanitize.tokens  # token counts from callers: garbage 0, huge clamped, never an exception
_MAX_TOKENS = sanitize.MAX_TOKENS


def _error_type(exc: BaseException) -> str:
    return type(exc).__qualname__


def _stamp(attrs: dict[str, Any], ctx: Any) -> dict[str, Any]:
    """Context attributes go in at span start (ContextStamper skips our own spans)."""
    for key, value in ctx.attributes:
        if key not in attrs:
            attrs[key] = value
    return attrs


def _content(st: Any, value: Any) -> str | None:
    """Opt-in content: JSON text, passed through the redaction hook, truncated.

    Never raises: unserialisable content is described; a raising hook withholds the text.
    """
    cfg = st.config
    if not cfg.capture_content:
        return None
    if type(value) is str:
        text = value
    else:
        try:
            text = json.dumps(value, default=sanitize.describe, ensure_ascii=False)
        except Exception:  # noqa: BLE001 - circular or too deeply nested
            text = sanitize.describe(value)
    text = sanitize.clean_str(text[: cfg.content_max_length * 4])
    if cfg.redact is not None:
        try:
            text = sanitize.describe(cfg.redact(text))
        except Exception as exc:  # noqa: BLE001 - the user's hook: the span survives without the text
            guard.suppressed("redact hook", exc)
            return "[redaction failed]"
    text = sanitize.redact(text)
    if len(text) > cfg.content_max_length:
        text = text[: cfg.content_max_length] + "…[truncated]"
    return text


class _Unit(SyncAndAsync):
    """Shared enter/exit plumbing: attach the span as current, never raise."""

    _where = "unit"
    _signal = "traces"
    # Per-instance state starts as these class defaults (immutable values): creating a
    # unit stores nothing it does not change, which matters on every LLM call.
    _span: Any = None
    _token: Any = None
    _start = 0.0
    _error: str | None = None
    _begun = False
    _st: Any = None

    def _begin(self, st: Any) -> None: ...
    def _end(self, st: Any, exc: BaseException | None) -> None: ...

    def __enter__(self) -> Any:
        st = self._st = _rt.STATE
        if st is not None:
            try:
                self._begin(st)
                self._begun = True
                if self._span is not None:
                    self._token = otel_context.attach(set_span_in_context(self._span))
            except Exception as err:  # noqa: BLE001
                guard.suppressed(self._where + ".enter", err, self._signal)
                self._end_span_quietly()
        self._start = _perf()
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        # the runtime of __enter__: a shutdown in between still closes what was opened
        st = self._st
        try:
            if st is not None and self._begun:
                if exc is not None and self._error is None:
                    self._error = _error_type(exc)
                self._end(st, exc)
        except Exception as err:  # noqa: BLE001
            guard.suppressed(self._where + ".exit", err, self._signal)
            self._end_span_quietly()
        finally:
            if self._token is not None:
                try:
                    otel_context.detach(self._token)
                except Exception:  # noqa: BLE001
                    pass
                self._token = None
        return False


    def _end_span_quietly(self) -> None:
        try:
            if self._span is not None and self._span.is_recording():
                self._span.end()
        except Exception:  # noqa: BLE001
            pass

    def set_error(self, error_type: Any) -> None:
        """Mark the unit failed without an exception (e.g. an error response)."""
        self._error = _text(error_type) or "error"

    def set_attribute(self, key: Any, value: Any) -> None:
        """One attribute on the span: cleaned (ranges, surrogates), secret-looking text masked."""
        try:
            if self._span is not None and isinstance(key, str):
                st = self._st
                limit = st.config.max_attribute_length if st is not None else 4096
                clean = sanitize.redact_value(sanitize.attribute(value, limit))
                self._span.set_attribute(sanitize.clean_str(key[:256]), clean)
        except Exception as err:  # noqa: BLE001
            guard.suppressed(self._where + ".set_attribute", err)

    def _close_span(self, exc: BaseException | None, attrs: dict[str, Any]) -> None:
        span = self._span
        if span is None:
            return
        if self._error is not None:
            attrs[names.ERROR_TYPE] = self._error
            # The description is the error type: an exception's message can echo the prompt.
            span.set_status(Status(StatusCode.ERROR, self._error))
            if exc is not None:
                st = self._st
                capture, limit = (st.config.capture_content, st.config.max_attribute_length) if st else (False, 4096)
                span.add_event("exception", sanitize.exception_attributes(
                    type(exc), exc, exc.__traceback__, capture, limit))
        span.set_attributes(attrs)
        span.end()


# ------------------------------------------------------------------- llm_call
# (operation, provider, model, context attributes) -> (span name, start attributes).
# The start attributes of a call without extra attributes depend on nothing else, and
# every call of a running agent repeats them: built once, shared read-only (the sampler
# wraps them in a read-only proxy, the span copies them into its own attributes).
_START: dict[tuple[Any, ...], tuple[str, dict[str, Any]]] = {}


def _llm_start(operation: str, provider: str | None, model: str | None,
               ctx: Any) -> tuple[str, dict[str, Any]]:
    attrs: dict[str, Any] = {names.GEN_AI_OPERATION_NAME: operation}
    if provider:
        attrs[names.GEN_AI_PROVIDER_NAME] = provider
    if model:
        attrs[names.GEN_AI_REQUEST_MODEL] = model
    return names.span_name(operation, model), _stamp(attrs, ctx)


class LLMCall(_Unit):
    """Handle of one inference call: record usage, response and timing on it."""

    _where = "llm_call"
    # Defaults live on the class: an instance only stores what a call changes (hot path).
    _in = _out = _cr = _cc = _rs = 0
    _recorded = False
    _foreign: tuple[Usage, ...] | list[Usage] = ()
    _response_model: str | None = None
    _response_id: str | None = None
    _finish: list[str] | None = None
    _ttfc: float | None = None
    _llm_token: Any = None
    _ctx: Any = None
    cost_usd: float | None = None

    def __init__(self, model: Any, provider: Any, operation: Any, attributes: Any) -> None:
        # fast path for the usual short ASCII names; anything else is cleaned by _text
        self.model = model if type(model) is str and 0 < len(model) <= _MAX_ID_LEN and model.isascii() else _text(model)
        self.provider = (provider if type(provider) is str and 0 < len(provider) <= _MAX_ID_LEN and provider.isascii()
                         else _text(provider))
        self.operation = (operation if operation is names.OP_CHAT else _text(operation)) or names.OP_CHAT
        self._extra = sanitize.attributes(attributes, _MAX_ID_LEN * 16) if type(attributes) is dict else None

    def _begin(self, st: Any) -> None:
        ctx = self._ctx = _CTX.get()
        if self.model is None:
            self.model = ctx.model
        if self._extra:  # extras sit between the call's own attributes and the context's
            attrs: dict[str, Any] = {names.GEN_AI_OPERATION_NAME: self.operation}
            if self.provider:
                attrs[names.GEN_AI_PROVIDER_NAME] = self.provider
            if self.model:
                attrs[names.GEN_AI_REQUEST_MODEL] = self.model
            for k, v in sanitize.redact_attributes(self._extra).items():
                attrs.setdefault(k, v)
            name = names.span_name(self.operation, self.model)
            _stamp(attrs, ctx)
        else:
            key = (self.operation, self.provider, self.model, ctx.attributes)
            hit = _START.get(key)
            if hit is None:
                hit = _llm_start(self.operation, self.provider, self.model, ctx)
                if len(_START) > 1024:  # bounded: models and contexts come from callers
                    _START.clear()
                _START[key] = hit
            name, attrs = hit
        self._span = st.tracer.start_span(name, kind=SpanKind.CLIENT, attributes=attrs)
        self._llm_token = _CURRENT_LLM.set(self)
        task = _CURRENT_TASK.get()
        if task is not None:
            task.inference_calls += 1

    def record_usage(self, input_tokens: Any = 0, output_tokens: Any = 0, *,
                     cache_read_tokens: Any = 0, cache_creation_tokens: Any = 0,
                     reasoning_tokens: Any = 0, cache_write_tokens: Any = 0) -> None:
        """Add token counts (semconv meaning: input INCLUDES cache read/creation, output
        INCLUDES reasoning). Calls add up, so streamed deltas can be recorded as they come.
        Each value is clamped to ``names.MAX_TOKENS_PER_VALUE``; garbage counts as 0."""
        try:
            self._add_usage(input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens,
                            reasoning_tokens, cache_write_tokens)
        except Exception as err:  # noqa: BLE001 - e.g. a value whose __bool__ raises
            guard.suppressed("llm_call.record_usage", err, "metrics")

    def _add_usage(self, input_tokens: Any, output_tokens: Any, cache_read_tokens: Any,
                   cache_creation_tokens: Any, reasoning_tokens: Any, cache_write_tokens: Any) -> None:
        self._in += _count(input_tokens)
        self._out += _count(output_tokens)
        if cache_read_tokens:
            self._cr += _count(cache_read_tokens)
        if cache_creation_tokens or cache_write_tokens:
            # two spellings of one quantity (semconv renamed creation → write): never summed
            self._cc += max(_count(cache_creation_tokens), _count(cache_write_tokens))
        if reasoning_tokens:
            self._rs += _count(reasoning_tokens)
        self._recorded = True

    def set_response(self, model: Any = None, id: Any = None, finish_reasons: Any = None) -> None:  # noqa: A002
        self._response_model = _text(model) or self._response_model
        self._response_id = _text(id) or self._response_id
        if finish_reasons is not None:
            if isinstance(finish_reasons, (list, tuple)):
                self._finish = [sanitize.describe(r)[:_MAX_ID_LEN] for r in finish_reasons[:16]]
            else:
                self._finish = [_text(finish_reasons) or ""]

    def first_chunk(self) -> None:
        """Mark the first streamed chunk now (only the first call counts)."""
        if self._ttfc is None and self._start:
            self._ttfc = _perf() - self._start

    def record_time_to_first_chunk(self, seconds: Any) -> None:
        value = sanitize.seconds(seconds)
        if value is not None:
            self._ttfc = value

    def record_input(self, messages: Any, *, system_instructions: Any = None) -> None:
        """Prompt content: recorded only with capture_content on (redacted, truncated)."""
        self._record_content(names.GEN_AI_INPUT_MESSAGES, messages)
        if system_instructions is not None:
            self._record_content(names.GEN_AI_SYSTEM_INSTRUCTIONS, system_instructions)

    def record_output(self, messages: Any) -> None:
        self._record_content(names.GEN_AI_OUTPUT_MESSAGES, messages)

    def _record_content(self, key: str, value: Any) -> None:
        st = _rt.STATE
        if st is None or self._span is None or not st.config.capture_content:
            return
        try:
            text = _content(st, value)
            if text is not None:
                self._span.set_attribute(key, text)
        except Exception as err:  # noqa: BLE001
            guard.suppressed("llm_call.content", err)

    def _adopt_foreign(self, usage: Usage, attrs: Any) -> None:
        """A foreign GenAI span ended inside this call (e.g. openai-v2 instrumentation)."""
        if not self._foreign:
            self._foreign = []
        self._foreign.append(usage)  # type: ignore[union-attr]
        if self._response_model is None:
            self._response_model = _text(attrs.get(names.GEN_AI_RESPONSE_MODEL))

    def _end(self, st: Any, exc: BaseException | None) -> None:
        duration = _perf() - self._start
        if self._llm_token is not None:
            try:
                _CURRENT_LLM.reset(self._llm_token)
            except ValueError:
                pass
        if not self._recorded and self._foreign:  # the caller recorded nothing: use the nested spans'
            for u in self._foreign:
                self._in += u.input_tokens; self._out += u.output_tokens
                self._cr += u.cache_read_tokens; self._cc += u.cache_creation_tokens
                self._rs += u.reasoning_tokens
        if self._cr or self._cc or self._rs or self._in > _MAX_TOKENS or self._out > _MAX_TOKENS:
            # contradictory or repeated-huge usage: one documented rule (cost.reconcile)
            self._in, self._out, self._cr, self._cc, self._rs = reconcile(
                Usage(self._in, self._out, self._cr, self._cc, self._rs), _MAX_TOKENS)
        ctx = self._ctx
        labels = st.model_labels(self.operation, self.provider, self.model, ctx.agent_name, ctx.cost_center)
        base, per_type = labels
        usage = Usage(self._in, self._out, self._cr, self._cc, self._rs)
        cost = self.cost_usd = st.account(  # positional: this is every call's path
            self.operation, self.provider, self.model, usage, ctx.agent_name, ctx.cost_center,
            ctx.session_id, self._response_model, labels)
        inst = st.inst
        here = otel_context.get_current()  # what each record would look up itself: once, not 3×
        inst.token_usage.record(self._in, per_type[names.TOKEN_INPUT], here)
        inst.token_usage.record(self._out, per_type[names.TOKEN_OUTPUT], here)
        inst.op_duration.record(duration, base if self._error is None
                                else {**base, names.ERROR_TYPE: self._error}, here)
        if self._ttfc is not None:
            inst.ttfc.record(self._ttfc, base, here)
        if st.semconv_usage is not None:  # same order: input, output, cache read/write, reasoning
            for counter, amount in zip(st.semconv_usage, usage):
                counter.add(amount, base)
        if self._span is None:
            return
        attrs: dict[str, Any] = {
            names.GEN_AI_USAGE_INPUT_TOKENS: self._in,
            names.GEN_AI_USAGE_OUTPUT_TOKENS: self._out,
        }
        if self._cr:
            attrs[names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS] = self._cr
        if self._cc:
            attrs[names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS] = self._cc
        if self._rs:
            attrs[names.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS] = self._rs
        if self._response_model:
            attrs[names.GEN_AI_RESPONSE_MODEL] = self._response_model
        if self._response_id:
            attrs[names.GEN_AI_RESPONSE_ID] = self._response_id
        if self._finish:
            attrs[names.GEN_AI_RESPONSE_FINISH_REASONS] = self._finish
        if cost is None:
            attrs[names.VIBES_COST_UNPRICED] = True
        else:
            attrs[names.VIBES_COST_USD] = cost
            attrs[names.VIBES_COST_PRICE_TABLE] = st.prices.version
        attrs[names.VIBES_COST_SOURCE] = names.COST_SOURCE_SDK  # the collector never re-prices it
        self._close_span(exc, attrs)


# ----------------------------------------------------------------------- task
class Task(_Unit):
    """An agent task (``invoke_agent {agent}``): counts the LLM and tool calls inside it."""

    _where = "task"

    def __init__(self, name: Any, agent_name: Any, agent_id: Any) -> None:
        super().__init__()
        self.name = _text(name)
        self.agent_name = _text(agent_name)
        self.agent_id = _text(agent_id)
        self.inference_calls = 0
        self.tool_calls = 0
        self._task_token: Any = None
        self._ctx_token: Any = None
        self._swarm: Any = None
        self._ctx: Any = None

    def _count(self, operation: str) -> None:
        if operation == names.OP_EXECUTE_TOOL:
            self.tool_calls += 1
        else:
            self.inference_calls += 1

    def _begin(self, st: Any) -> None:
        ctx = _CTX.get()
        if (self.agent_name and self.agent_name != ctx.agent_name) or (self.agent_id and self.agent_id != ctx.agent_id):
            # an explicit agent is the context of everything inside the task
            ctx = ctx.updated(agent_name=self.agent_name, agent_id=self.agent_id)
            self._ctx_token = _CTX.set(ctx)
        self._ctx = ctx
        self.agent_name = self.agent_name or ctx.agent_name
        self.agent_id = self.agent_id or ctx.agent_id
        attrs: dict[str, Any] = {names.GEN_AI_OPERATION_NAME: names.OP_INVOKE_AGENT}
        if self.agent_name:
            attrs[names.GEN_AI_AGENT_NAME] = self.agent_name
        if self.agent_id:
            attrs[names.GEN_AI_AGENT_ID] = self.agent_id
        if self.name:
            attrs[names.VIBES_TASK_NAME] = self.name
        _stamp(attrs, ctx)
        self._span = st.tracer.start_span(
            names.span_name(names.OP_INVOKE_AGENT, self.agent_name or self.name),
            kind=SpanKind.INTERNAL, attributes=attrs)
        self._task_token = _CURRENT_TASK.set(self)
        self._swarm = _SWARM.get()
        if self._swarm is not None:
            self._swarm._task(self.agent_id, +1)

    def _end(self, st: Any, exc: BaseException | None) -> None:
        duration = _perf() - self._start
        for var, token in ((_CURRENT_TASK, self._task_token), (_CTX, self._ctx_token)):
            if token is not None:
                try:
                    var.reset(token)
                except ValueError:
                    pass
        if self._swarm is not None:
            self._swarm._task(self.agent_id, -1)
        labels: dict[str, Any] = {}
        if self.agent_name:
            labels[names.GEN_AI_AGENT_NAME] = self.agent_name
        if self._ctx.cost_center:
            labels[names.VIBES_COST_CENTER] = self._ctx.cost_center
        inst = st.inst
        inst.task_duration.record(duration, labels if self._error is None
                                  else {**labels, names.ERROR_TYPE: self._error})
        inst.task_inference_calls.record(self.inference_calls, labels)
        inst.task_tool_calls.record(self.tool_calls, labels)
        self._close_span(exc, {names.VIBES_TASK_INFERENCE_CALLS: self.inference_calls,
                               names.VIBES_TASK_TOOL_CALLS: self.tool_calls})


# ------------------------------------------------------------------ tool_call
class ToolCall(_Unit):
    """One tool execution (``execute_tool {name}``)."""

    _where = "tool_call"

    def __init__(self, name: Any, call_id: Any, tool_type: Any, arguments: Any) -> None:
        super().__init__()
        self.name = _text(name) or "tool"
        self.call_id = _text(call_id)
        self.tool_type = _text(tool_type)
        self._arguments = arguments
        self._ctx: Any = None

    def _begin(self, st: Any) -> None:
        self._ctx = _CTX.get()
        attrs: dict[str, Any] = {names.GEN_AI_OPERATION_NAME: names.OP_EXECUTE_TOOL,
                                 names.GEN_AI_TOOL_NAME: self.name}
        if self.call_id:
            attrs[names.GEN_AI_TOOL_CALL_ID] = self.call_id
        if self.tool_type:
            attrs[names.GEN_AI_TOOL_TYPE] = self.tool_type
        if self._arguments is not None and st.config.capture_content:
            text = _content(st, self._arguments)
            if text is not None:
                attrs[names.GEN_AI_TOOL_CALL_ARGUMENTS] = text
        _stamp(attrs, self._ctx)
        self._span = st.tracer.start_span(names.span_name(names.OP_EXECUTE_TOOL, self.name),
                                          kind=SpanKind.INTERNAL, attributes=attrs)
        task = _CURRENT_TASK.get()
        if task is not None:
            task.tool_calls += 1

    def record_result(self, result: Any) -> None:
        """Tool result content: recorded only with capture_content on (redacted, truncated)."""
        st = _rt.STATE
        if st is None or self._span is None or not st.config.capture_content:
            return
        try:
            text = _content(st, result)
            if text is not None:
                self._span.set_attribute(names.GEN_AI_TOOL_CALL_RESULT, text)
        except Exception as err:  # noqa: BLE001
            guard.suppressed("tool_call.record_result", err)

    def _end(self, st: Any, exc: BaseException | None) -> None:
        labels: dict[str, Any] = {names.GEN_AI_TOOL_NAME: self.name}
        if self._ctx.agent_name:
            labels[names.GEN_AI_AGENT_NAME] = self._ctx.agent_name
        if self._error is not None:
            labels[names.ERROR_TYPE] = self._error
        st.inst.tool_duration.record(_perf() - self._start, labels)
        self._close_span(exc, {})


# ------------------------------------------------------------- workflow, span
class Workflow(_Unit):
    _where = "workflow"

    def __init__(self, name: Any) -> None:
        super().__init__()
        self.name = _text(name)

    def _begin(self, st: Any) -> None:
        attrs: dict[str, Any] = {names.GEN_AI_OPERATION_NAME: names.OP_INVOKE_WORKFLOW}
        if self.name:
            attrs[names.GEN_AI_WORKFLOW_NAME] = self.name
        _stamp(attrs, _CTX.get())
        self._span = st.tracer.start_span(names.span_name(names.OP_INVOKE_WORKFLOW, self.name),
                                          kind=SpanKind.INTERNAL, attributes=attrs)

    def _end(self, st: Any, exc: BaseException | None) -> None:
        self._close_span(exc, {})


class _PlainSpan(_Unit):
    _where = "span"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def _begin(self, st: Any) -> None:
        self._span = st.tracer.start_span(self.name, kind=SpanKind.INTERNAL, attributes=_stamp({}, _CTX.get()))

    def _end(self, st: Any, exc: BaseException | None) -> None:
        self._close_span(exc, {})


# -------------------------------------------------------------- public calls
def llm_call(model: Any = None, provider: Any = None, operation: Any = names.OP_CHAT,
             attributes: Any = None) -> LLMCall | _Noop:
    """One inference call: ``with llm_call(model="gpt-4o", provider="openai") as call: ...``."""
    if _rt.STATE is None:
        return NOOP
    return made(LLMCall, "llm_call", model, provider, operation, attributes)


def task(name: Any = None, *, agent: Any = None, agent_id: Any = None) -> Task | _Noop:
    """An agent task: ``invoke_agent {agent}`` span, duration, inference/tool calls per task."""
    if _rt.STATE is None:
        return NOOP
    return made(Task, "task", name, agent, agent_id)


def tool_call(name: Any, *, call_id: Any = None, tool_type: Any = "function",
              arguments: Any = None) -> ToolCall | _Noop:
    if _rt.STATE is None:
        return NOOP
    return made(ToolCall, "tool_call", name, call_id, tool_type, arguments)


def workflow(name: Any) -> Workflow | _Noop:
    if _rt.STATE is None:
        return NOOP
    return made(Workflow, "workflow", name)


_KINDS: dict[str, Callable[[str], Any]] = {
    "span": _PlainSpan,
    "task": lambda n: task(n),
    "tool": lambda n: tool_call(n),
    "workflow": lambda n: workflow(n),
}


def instrument(fn: Any = None, *, name: Any = None, kind: Any = "span") -> Any:
    """Decorate a sync, async, generator or async-generator function with a span.

    ``kind``: ``span`` (plain), ``task``, ``tool`` or ``workflow``. A generator's span is
    current only while the generator runs: between two ``next()`` calls the caller's
    own calls are not its children (nor counted in its task).
    """
    def decorate(func: F) -> F:
        try:
            return _decorated(func, name, kind)
        except Exception as err:  # noqa: BLE001 - a hostile callable: left undecorated
            guard.suppressed("instrument", err)
            return func

    try:
        if fn is not None and callable(fn):
            return decorate(fn)
    except Exception as err:  # noqa: BLE001
        guard.suppressed("instrument", err)
        return fn
    return decorate


def _decorated(func: Any, name: Any, kind: Any) -> Any:
    if not callable(func):
        return func
    span_name = _text(name) or _text(getattr(func, "__qualname__", None)) or "function"
    factory = _KINDS.get(kind, _PlainSpan) if isinstance(kind, str) else _PlainSpan

    def scope() -> Any:
        return factory(span_name) if _rt.STATE is not None else NOOP

    if inspect.isasyncgenfunction(func):
        return functools.wraps(func)(async_generator_wrapper(func, scope))
    if inspect.iscoroutinefunction(func):
        @functools.wraps(func)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            async with scope():
                return await func(*args, **kwargs)
        return async_wrapper
    if inspect.isgeneratorfunction(func):
        return functools.wraps(func)(generator_wrapper(func, scope))

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with scope():
            return func(*args, **kwargs)
    return wrapper

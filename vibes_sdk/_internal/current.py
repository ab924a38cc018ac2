"""What is current here: the vibes context, the swarm, the task and the LLM call.

The context variables live in this one module, which the public modules (``context``,
``tracing``) and the internals (span processors, log handler) all import, so that none
of them needs to import another back.
"""

from __future__ import annotations

import dataclasses
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from vibes_sdk import names
from vibes_sdk._internal import sanitize

MAX_ID_LEN = 256


@dataclass(frozen=True)
class TraceContext:
    """What is stamped on every span and log record (keys: ``names.CONTEXT_ATTRIBUTES``)."""

    session_id: str | None = None
    agent_id: str | None = None
    agent_name: str | None = None
    swarm_id: str | None = None
    user_id: str | None = None
    model: str | None = None
    cost_center: str | None = None
    # (attribute key, value) pairs for the fields that are set; computed once.
    attributes: tuple[tuple[str, str], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        pairs = tuple((names.CONTEXT_ATTRIBUTES[f], v) for f, v in self._fields() if v is not None)
        object.__setattr__(self, "attributes", pairs)

    def _fields(self) -> tuple[tuple[str, str | None], ...]:
        return tuple((f, getattr(self, f)) for f in names.CONTEXT_ATTRIBUTES)

    def as_dict(self) -> dict[str, str]:
        return {f: v for f, v in self._fields() if v is not None}

    def updated(self, **changes: Any) -> TraceContext:
        clean = {k: sanitize.text(v, MAX_ID_LEN) for k, v in changes.items() if v is not None}
        return dataclasses.replace(self, **clean) if clean else self


EMPTY = TraceContext()
CTX: ContextVar[TraceContext] = ContextVar("vibes_trace_context", default=EMPTY)
SWARM: ContextVar[Any] = ContextVar("vibes_swarm", default=None)  # context.SwarmScope
TASK: ContextVar[Any] = ContextVar("vibes_task", default=None)  # tracing.Task
LLM: ContextVar[Any] = ContextVar("vibes_llm_call", default=None)  # tracing.LLMCall

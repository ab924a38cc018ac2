"""What every vibes scope and work unit shares: the async form, the no-op handle, safe construction."""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from vibes_sdk._internal import guard

T = TypeVar("T")


class SyncAndAsync:
    """``async with x`` runs the same (non-blocking) ``__enter__``/``__exit__`` as ``with x``."""

    __slots__ = ()

    async def __aenter__(self) -> Any:
        return self.__enter__()  # type: ignore[attr-defined]

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)  # type: ignore[attr-defined]


class _Noop:
    """Shared handle when the SDK is off (or a handle could not be made): every method
    of every scope and work unit exists and does nothing."""

    __slots__ = ()
    cost_usd = None
    inference_calls = tool_calls = 0
    session_id = agent_id = agent_name = swarm_id = None

    def __enter__(self) -> _Noop:
        return self

    def __exit__(self, *exc: Any) -> bool:
        return False

    async def __aenter__(self) -> _Noop:
        return self

    async def __aexit__(self, *exc: Any) -> bool:
        return False

    def _noop(self, *args: Any, **kwargs: Any) -> None:
        return None

    record_usage = set_response = first_chunk = record_time_to_first_chunk = _noop
    record_input = record_output = record_result = set_error = set_attribute = _noop
    record_event = record_message = set_utilization = _noop

    def coordination(self) -> _Noop:
        return self


NOOP = _Noop()


def made(kind: Callable[..., T], where: str, *args: Any, **kwargs: Any) -> T | _Noop:
    """``kind(*args, **kwargs)``, or the shared no-op handle if making it failed: a scope or
    unit that cannot be built never raises into the host."""
    try:
        return kind(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001
        guard.suppressed(where, exc)
        return NOOP

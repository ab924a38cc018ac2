"""The one way every vibes scope and work unit is also an async context manager."""

from __future__ import annotations

from typing import Any


class SyncAndAsync:
    """``async with x`` runs the same (non-blocking) ``__enter__``/``__exit__`` as ``with x``."""

    __slots__ = ()

    async def __aenter__(self) -> Any:
        return self.__enter__()  # type: ignore[attr-defined]

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)  # type: ignore[attr-defined]

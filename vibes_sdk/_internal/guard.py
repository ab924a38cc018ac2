"""Never break the host app: suppress SDK errors, log each kind once, count the loss."""

from __future__ import annotations

import logging
import threading
from typing import Any, Callable


LOGGER = logging.getLogger("vibes_sdk")
_seen: set[str] = set()
_lock = threading.Lock()
# Set by the runtime once metrics exist: (signal, reason, n) -> None.
drop_hook: Callable[[str, str, int], None] | None = None
#: Process totals of dropped items by (signal, reason), also after shutdown (for reports).
DROPS: dict[tuple[str, str], int] = {}


def once(key: str) -> bool:
    """True the first time `key` is seen in this process."""
    if key in _seen:
        return False
    with _lock:
        if key in _seen:
            return False
        _seen.add(key)
        return True


def warn_once(key: str, message: str, *args: Any) -> None:
    if once("warn:" + key):
        LOGGER.warning(message, *args)


def suppressed(where: str, exc: BaseException, signal: str = "sdk") -> None:
    """Record an error the SDK swallowed: one log line per (place, type), a drop count always."""
    try:
        if once(f"err:{where}:{type(exc).__name__}"):
            LOGGER.warning("vibes_sdk suppressed %s in %s: %s (further ones are not logged)",
                           type(exc).__name__, where, exc)
        count_drop(signal, "sdk_error")
    except Exception:  # noqa: BLE001 - the guard itself must never raise
        pass


def count_drop(signal: str, reason: str, n: int = 1) -> None:
    if n > 0:
        DROPS[(signal, reason)] = DROPS.get((signal, reason), 0) + n
    hook = drop_hook
    if hook is not None and n > 0:
        try:
            hook(signal, reason, n)
        except Exception:  # noqa: BLE001
            pass


def reset_after_fork() -> None:
    global _lock
    _lock = threading.Lock()

"""Logging: stdlib `logging` is the API; :func:`get_logger` adds keyword fields.

``get_logger(__name__).info("tool done", tool="search", hits=3)`` is the same as
``logging.getLogger(__name__).info("tool done", extra={"tool": "search", "hits": 3})``.
After ``vibes_sdk.init()`` records go out as OTLP logs carrying trace_id/span_id and
the vibes context fields.
"""

from __future__ import annotations

import logging
from typing import Any

from vibes_sdk._internal.loghandler import RESERVED, severity_number

#: Python level → (OTel SeverityNumber, SeverityText). Levels in between map to the
#: next-finer OTel step (e.g. 21 → 10 INFO2), below DEBUG → 0 (UNSPECIFIED).
LEVEL_TABLE: tuple[tuple[str, int, int, str], ...] = tuple(
    (name, levelno, severity_number(levelno), text)
    for name, levelno, text in (
        ("DEBUG", logging.DEBUG, "DEBUG"),
        ("INFO", logging.INFO, "INFO"),
        ("WARNING", logging.WARNING, "WARN"),
        ("ERROR", logging.ERROR, "ERROR"),
        ("CRITICAL", logging.CRITICAL, "FATAL"),
    )
)


class FieldLogger:
    """A thin wrapper: ``log.info(msg, *args, **fields)``; never raises."""

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def _log(self, level: int, msg: Any, args: tuple[Any, ...], fields: dict[str, Any]) -> None:
        try:
            if not self.logger.isEnabledFor(level):
                return
            exc_info = fields.pop("exc_info", None)
            extra = {(k + "_" if k in RESERVED else k): v for k, v in fields.items()}
            self.logger.log(level, msg, *args, exc_info=exc_info, extra=extra, stacklevel=3)
        except Exception:  # noqa: BLE001
            pass

    def debug(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.DEBUG, msg, args, fields)

    def info(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.INFO, msg, args, fields)

    def warning(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.WARNING, msg, args, fields)

    def error(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.ERROR, msg, args, fields)

    def exception(self, msg: Any, *args: Any, **fields: Any) -> None:
        fields.setdefault("exc_info", True)
        self._log(logging.ERROR, msg, args, fields)

    def critical(self, msg: Any, *args: Any, **fields: Any) -> None:
        self._log(logging.CRITICAL, msg, args, fields)


def get_logger(name: Any = None) -> FieldLogger:
    return FieldLogger(logging.getLogger(None if name is None else str(name)))

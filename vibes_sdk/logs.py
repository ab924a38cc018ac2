"""Logging: stdlib `logging` is the API; :func:`get_logger` adds keyword fields.

``get_logger(__name__).info("tool done", tool="search", hits=3)`` is the same as
``logging.getLogger(__name__).info("tool done", extra={"tool": "search", "hits": 3})``.
After ``vibes_sdk.init()`` records go out as OTLP logs carrying trace_id/span_id and
the vibes context fields.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any

from opentelemetry._logs import LogRecord, SeverityNumber

from vibes_sdk import names
from vibes_sdk._internal import runtime as _rt
from vibes_sdk._internal import sanitize
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
            logger = self.logger
            exc_info = fields.pop("exc_info", None)
            extra = {(k + "_" if k in RESERVED else k): v for k, v in fields.items()}
            if logger.isEnabledFor(level):
                logger.log(level, msg, *args, exc_info=exc_info, extra=extra, stacklevel=3)
                return
            # Below the host's own level: the host configured its logging for itself, so the
            # record goes to the SDK's handlers only (from the SDK's log_level up), never to
            # the host's handlers, and no logger level is changed for it.
            st = _rt.STATE
            if st is None or level < st.log_level or logger.disabled:
                return
            if exc_info and not isinstance(exc_info, tuple):
                exc_info = sys.exc_info()
            path, line, func, _ = logger.findCaller(False, 3)
            record = logger.makeRecord(logger.name, level, path, line, msg, args, exc_info, func, extra)
            if logger.filter(record):
                for handler in st.handlers:
                    if level >= handler.level:
                        handler.handle(record)
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
    """A logger whose methods take keyword fields; any name is accepted, none raises."""
    return FieldLogger(logging.getLogger(None if name is None else sanitize.describe(name)))


# ------------------------------------------------------------ session summary
_SUMMARY_SCOPE = "vibes_sdk.session"


def session_summary_attributes(context: Any, totals: Any, duration_s: float,
                               error: BaseException | None) -> dict[str, Any]:
    """Attributes of the ``vibes.session.summary`` record (context + the session's totals)."""
    attrs: dict[str, Any] = dict(context.attributes)
    attrs.update({
        names.LOG_EVENT_NAME: names.VIBES_EVENT_SESSION_SUMMARY,
        names.VIBES_COST_USD: float(totals.cost_usd),
        names.VIBES_SESSION_LLM_CALLS: totals.llm_calls,
        names.VIBES_SESSION_UNPRICED_CALLS: totals.unpriced_calls,
        names.GEN_AI_USAGE_INPUT_TOKENS: totals.input_tokens,
        names.GEN_AI_USAGE_OUTPUT_TOKENS: totals.output_tokens,
        names.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: totals.cache_read_tokens,
        names.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS: totals.cache_creation_tokens,
        names.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: totals.reasoning_tokens,
        names.VIBES_SESSION_DURATION_SECONDS: max(0.0, float(duration_s)),
    })
    if totals.unpriced_calls:
        attrs[names.VIBES_COST_UNPRICED] = True  # the cost above is a lower bound
    if error is not None:
        attrs[names.ERROR_TYPE] = type(error).__qualname__
    return attrs


def emit_session_summary(logger_provider: Any, context: Any, totals: Any, duration_s: float,
                         error: BaseException | None) -> None:
    """One OTLP log record for a closed session; queued by the log pipeline, never raises."""
    attrs = session_summary_attributes(context, totals, duration_s, error)
    logger_provider.get_logger(_SUMMARY_SCOPE).emit(LogRecord(
        timestamp=time.time_ns(),
        severity_number=SeverityNumber.WARN if error is not None else SeverityNumber.INFO,
        severity_text="WARN" if error is not None else "INFO",
        body=names.VIBES_EVENT_SESSION_SUMMARY, attributes=attrs,
        event_name=names.VIBES_EVENT_SESSION_SUMMARY))

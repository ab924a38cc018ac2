"""stdlib logging → OTLP log records (with trace/span ids and the vibes context), and console output."""

from __future__ import annotations

import datetime as _dt
import json
import logging
import threading
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace as otel_trace
from opentelemetry._logs import LogRecord, SeverityNumber

from vibes_sdk._internal import current, guard, sanitize

# Attributes every LogRecord has; anything else on a record is a user field (`extra=`).
RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}
# Loggers of the export path itself: exporting their records could feed back forever.
_NOT_EXPORTED = ("opentelemetry", "urllib3", "requests", "charset_normalizer", "vibes_sdk._internal")
_OTEL_TEXT = {"WARNING": "WARN", "CRITICAL": "FATAL"}


def severity_number(levelno: int) -> int:
    """Python level → OTel SeverityNumber (DEBUG 5, INFO 9, WARN 13, ERROR 17, FATAL 21; +1..3 between)."""
    if levelno < logging.DEBUG:
        return 0
    if levelno > logging.CRITICAL + 3:
        return 24
    decade, step = divmod(levelno, 10)
    return 5 + 4 * (decade - 1) + min(step, 3)


def user_fields(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in RESERVED and not k.startswith("_")}


class ContextFilter(logging.Filter):
    """Stamps the vibes TraceContext on each record passing the handler it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            for key, value in current.CTX.get().attributes:
                if key not in record.__dict__:
                    record.__dict__[key] = value
        except Exception:  # noqa: BLE001 - a filter must never drop a record by raising
            pass
        return True


class OtelLogHandler(logging.Handler):
    """stdlib records → OTLP log records: values cleaned, secret-looking text masked, an
    exception's message only with content capture on (it can echo a prompt)."""

    def __init__(self, logger_provider: Any, level: int, max_attribute_length: int = 4096,
                 capture_content: bool = False, max_body_length: int = 32 * 1024) -> None:
        super().__init__(level)
        self._limit = max_attribute_length
        self._max_body = max_body_length  # cut here already: masking a 1 MB line costs
        self._capture = capture_content
        self._provider = logger_provider
        self._loggers: dict[str, Any] = {}
        self._busy = threading.local()
        self.addFilter(ContextFilter())

    def _logger(self, name: str) -> Any:
        logger = self._loggers.get(name)
        if logger is None:
            if len(self._loggers) > 1024:
                self._loggers.clear()
            logger = self._loggers[name] = self._provider.get_logger(name)
        return logger

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_NOT_EXPORTED) or getattr(self._busy, "on", False):
            return
        self._busy.on = True
        try:
            attributes = sanitize.redact_attributes(sanitize.attributes(user_fields(record), self._limit))
            attributes["code.file.path"] = sanitize.clean_str(record.pathname)
            attributes["code.function.name"] = sanitize.clean_str(record.funcName)
            attributes["code.line.number"] = record.lineno
            if record.exc_info and record.exc_info[0] is not None:
                etype, evalue, tb = record.exc_info
                attributes.update(sanitize.exception_attributes(etype, evalue, tb, self._capture, self._limit))
            self._logger(sanitize.clean_str(record.name)).emit(LogRecord(
                timestamp=int(record.created * 1e9),
                context=otel_context.get_current(),
                severity_text=_OTEL_TEXT.get(record.levelname, record.levelname),
                severity_number=SeverityNumber(severity_number(record.levelno)),
                body=sanitize.redact(sanitize.clean_str(record.getMessage()[: self._max_body + 1])),
                attributes=attributes,
            ))
        except Exception:  # noqa: BLE001
            guard.count_drop("logs", "sdk_error")
        finally:
            self._busy.on = False


def _trace_ids() -> tuple[str | None, str | None]:
    ctx = otel_trace.get_current_span().get_span_context()
    if not ctx.is_valid:
        return None, None
    return f"{ctx.trace_id:032x}", f"{ctx.span_id:016x}"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        trace_id, span_id = _trace_ids()
        out: dict[str, Any] = {
            "time": _dt.datetime.fromtimestamp(record.created, _dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if trace_id:
            out["trace_id"], out["span_id"] = trace_id, span_id
        out.update(sanitize.attributes(user_fields(record), 4096))
        if record.exc_info and record.exc_info[0] is not None:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class PrettyFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = _dt.datetime.fromtimestamp(record.created).strftime("%H:%M:%S.%f")[:-3]
        fields = user_fields(record)
        tail = " ".join(f"{k}={v}" for k, v in fields.items())
        trace_id, _ = _trace_ids()
        line = f"{ts} {record.levelname:<7} {record.name}: {record.getMessage()}"
        if tail:
            line += "  " + tail
        if trace_id:
            line += f"  trace={trace_id[:16]}"
        if record.exc_info and record.exc_info[0] is not None:
            line += "\n" + self.formatException(record.exc_info)
        return line


def console_handler(fmt: str, level: int) -> logging.Handler:
    handler = logging.StreamHandler()
    handler.setLevel(level)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PrettyFormatter())
    handler.addFilter(ContextFilter())
    return handler


"""VictoriaLogs, the native log database: LogsQL built from the CLI's filters.

Records arrive through its OTLP endpoint (``vibes_stack.render``): resource and record
attributes become fields under their OTLP names, the body is ``_msg``, the record time
``_time``; every value comes back as a string. Queries stream JSON lines (one record or
one stats row per line); ``/select/logsql/tail`` is its live tail."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from vibes_observe.clients._http import BackendError, request, reachable
from vibes_observe.clients.logs_model import (LEVEL_ALIASES, LogEntry, LogFilter,
                                              level_from_number, level_rank)
from vibes_sdk import names as n

NAME = "VictoriaLogs"
QUERY_PATH = "/select/logsql/query"
TAIL_PATH = "/select/logsql/tail"
_INTERNAL = frozenset({"_msg", "_time", "_stream", "_stream_id", "severity_text", "severity_number",
                       "trace_id", "span_id"})
# RE2 (Go) has no lookaround and no backreferences: Python accepts them, VictoriaLogs would not.
_NOT_RE2 = re.compile(r"\(\?<?[=!]|\\[1-9]")


def quote(text: str) -> str:
    """A LogsQL string literal (Go-quoted, which JSON strings are)."""
    return json.dumps(text)


def check_grep(pattern: str) -> None:
    """ValueError naming the problem when VictoriaLogs (RE2) cannot run ``pattern``."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    if _NOT_RE2.search(pattern):
        raise ValueError(f"{pattern!r}: lookarounds and backreferences are not supported (RE2 syntax)")


def build_logsql(flt: LogFilter) -> str:
    """The filter part of a query; the time window travels as ``start``/``end`` arguments."""
    parts = [f"{quote(key)}:={quote(value)}" for key, value in (
        (n.SERVICE_NAME, flt.service), (n.VIBES_SESSION_ID, flt.session),
        (n.GEN_AI_AGENT_NAME, flt.agent), ("trace_id", (flt.trace_id or "").lower())) if value]
    if flt.level:  # OTel severity numbers: each level spans four numbers starting at 1
        parts.append(f"severity_number:>={level_rank(flt.level) * 4 + 1}")
    if flt.grep:
        parts.append(f"_msg:~{quote(flt.grep)}")
    return " ".join(parts) or "*"


def rfc3339(time_ns: int) -> str:
    secs, frac = divmod(time_ns, 10**9)
    return datetime.fromtimestamp(secs, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S") + f".{frac:09d}Z"


def parse_time_ns(text: str) -> int:
    """``2026-11-30T03:11:09.535891486Z`` → ns (datetime alone keeps only microseconds)."""
    head, _, frac = text.rstrip("Z").partition(".")
    secs = datetime.fromisoformat(head).replace(tzinfo=timezone.utc).timestamp()
    return int(secs) * 10**9 + int((frac + "000000000")[:9])


def entry_from_row(row: dict[str, Any]) -> LogEntry:
    level = str(row.get("severity_text") or "").upper()
    number = str(row.get("severity_number") or "0")
    if not level and number.isdigit():
        level = level_from_number(int(number))
    return LogEntry(time_ns=parse_time_ns(row["_time"]), level=LEVEL_ALIASES.get(level, level) or "UNSPECIFIED",
                    body=str(row.get("_msg", "")), service=str(row.get(n.SERVICE_NAME, "")),
                    trace_id=str(row.get("trace_id", "")), span_id=str(row.get("span_id", "")),
                    attributes={k: v for k, v in row.items() if k not in _INTERNAL})


class VictoriaLogsClient:
    def __init__(self, url: str, timeout: float = 60.0):
        self.url = url
        self.timeout = timeout

    def describe(self) -> str:
        return f"{NAME} {self.url}"

    def rows(self, logsql: str, *, start_ns: int | None = None, end_ns: int | None = None,
             limit: int = 0) -> Iterator[dict[str, Any]]:
        """Result rows of a query (records, or stats rows with a ``| stats`` pipe), streamed."""
        params = {"query": logsql}
        if start_ns is not None:
            params["start"] = rfc3339(start_ns)
        if end_ns is not None:
            params["end"] = rfc3339(end_ns + 1)  # its `end` is exclusive, ours inclusive
        if limit:
            params["limit"] = str(limit)  # the newest `limit` records
        yield from self._lines(QUERY_PATH, params, timeout=self.timeout)

    def query(self, flt: LogFilter, *, start_ns: int, end_ns: int, limit: int = 0) -> list[LogEntry]:
        """Matching records in the window, oldest first (the newest ``limit`` when set)."""
        entries = [entry_from_row(r) for r in self.rows(build_logsql(flt), start_ns=start_ns,
                                                         end_ns=end_ns, limit=limit)]
        entries.sort(key=lambda e: e.time_ns)
        return entries

    def tail(self, flt: LogFilter, *, start_offset_s: float) -> Iterator[LogEntry]:
        """Live tail: records as they arrive, starting ``start_offset_s`` back; runs until closed."""
        params = {"query": build_logsql(flt), "start_offset": f"{max(1, int(start_offset_s + 1))}s"}
        for row in self._lines(TAIL_PATH, params, timeout=(5, None)):
            yield entry_from_row(row)

    def _lines(self, path: str, params: dict[str, str], *, timeout: Any) -> Iterator[dict[str, Any]]:
        resp = request(NAME, self.url, "GET", path, params=params, timeout=timeout, stream=True)
        with resp:
            for line in resp.iter_lines():
                if not line:
                    continue
                try:
                    yield json.loads(line)
                except ValueError:
                    raise BackendError(NAME, self.url, f"{path} returned a line that is not JSON") from None

    def health(self) -> tuple[bool, str]:
        return reachable(self.url, "/health")

"""The log record every log source yields, and the filters applied to it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vibes_sdk import names as n

# OTel severity numbers → level names (1-4 TRACE … 21-24 FATAL).
_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LEVEL_ALIASES = {"WARNING": "WARN", "CRITICAL": "FATAL", "ERR": "ERROR"}


def level_from_number(number: int) -> str:
    if number <= 0:
        return "UNSPECIFIED"
    return _LEVELS[min((number - 1) // 4, len(_LEVELS) - 1)]


def level_rank(level: str) -> int:
    level = LEVEL_ALIASES.get(level.upper(), level.upper())
    return _LEVELS.index(level) if level in _LEVELS else -1


def normalize_level(level: str) -> str:
    """Checked user input: one of the level names, else ValueError naming it."""
    up = LEVEL_ALIASES.get(level.upper(), level.upper())
    if up not in _LEVELS:
        raise ValueError(f"--level {level!r}: expected one of {', '.join(l.lower() for l in _LEVELS)}")
    return up


@dataclass
class LogEntry:
    time_ns: int
    level: str
    body: str
    service: str = ""
    trace_id: str = ""
    span_id: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def session_id(self) -> str:
        return str(self.attributes.get(n.VIBES_SESSION_ID, ""))

    @property
    def agent(self) -> str:
        return str(self.attributes.get(n.GEN_AI_AGENT_NAME, ""))

    def to_dict(self) -> dict[str, Any]:
        return {"time_unix_nano": self.time_ns, "level": self.level, "service": self.service,
                "body": self.body, "trace_id": self.trace_id, "span_id": self.span_id,
                "attributes": self.attributes}


@dataclass(frozen=True)
class LogFilter:
    session: str | None = None
    agent: str | None = None
    service: str | None = None
    trace_id: str | None = None
    level: str | None = None  # minimum level, normalized
    grep: str | None = None   # regular expression on the body
    since_ns: int | None = None
    until_ns: int | None = None

    def matches(self, entry: LogEntry) -> bool:
        if self.since_ns is not None and entry.time_ns < self.since_ns:
            return False
        if self.until_ns is not None and entry.time_ns > self.until_ns:
            return False
        if self.session and entry.session_id != self.session:
            return False
        if self.agent and entry.agent != self.agent:
            return False
        if self.service and entry.service != self.service:
            return False
        if self.trace_id and entry.trace_id.lower() != self.trace_id.lower():
            return False
        if self.level and level_rank(entry.level) < level_rank(self.level):
            return False
        if self.grep and not re.search(self.grep, entry.body):
            return False
        return True

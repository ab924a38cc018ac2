"""The old native log store: OTLP-JSON lines written by the collector's ``file`` exporter
(before VictoriaLogs; ``vibes observe logs import`` loads it into the log database).

Each line is one ``ExportLogsServiceRequest`` in OTLP JSON
(``resourceLogs[].scopeLogs[].logRecords[]``). Files may be rotated; every regular
file under the directory is read (gzip-compressed backups too), oldest first.
"""

from __future__ import annotations

import gzip
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vibes_observe.clients.logs_model import LogEntry, level_from_number
from vibes_sdk import names as n


#: written into a store directory once ``vibes observe logs import`` has loaded it.
IMPORTED_MARKER = ".imported-into-log-database"


def pending_import(directory: Path) -> list[Path]:
    """Files of an old store that were never imported (empty once imported or absent)."""
    return [] if (directory / IMPORTED_MARKER).exists() else log_files(directory)


def any_value(value: dict[str, Any] | None) -> Any:
    """Decode an OTLP JSON AnyValue."""
    if not value:
        return None
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return int(value["intValue"])
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    return {kv["key"]: any_value(kv.get("value")) for kv in items or []}


def entries_from_request(payload: dict[str, Any]) -> Iterator[LogEntry]:
    for resource_logs in payload.get("resourceLogs", []):
        resource = attributes(resource_logs.get("resource", {}).get("attributes"))
        service = str(resource.get(n.SERVICE_NAME, ""))
        for scope_logs in resource_logs.get("scopeLogs", []):
            for record in scope_logs.get("logRecords", []):
                body = any_value(record.get("body"))
                level = record.get("severityText") or level_from_number(int(record.get("severityNumber", 0)))
                time_ns = int(record.get("timeUnixNano") or record.get("observedTimeUnixNano") or 0)
                yield LogEntry(time_ns=time_ns, level=str(level).upper(),
                               body=body if isinstance(body, str) else json.dumps(body),
                               service=service, trace_id=record.get("traceId", ""),
                               span_id=record.get("spanId", ""),
                               attributes=attributes(record.get("attributes")))


def log_files(directory: Path) -> list[Path]:
    if not directory.is_dir():
        return []
    files = [p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def open_text(path: Path):
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8", errors="replace")
    return path.open("r", encoding="utf-8", errors="replace")


def read_file(path: Path, offset: int = 0) -> tuple[list[LogEntry], int]:
    """Entries from complete lines after byte ``offset``; returns the new offset.

    A partly written last line is left for the next read (``--follow``)."""
    entries: list[LogEntry] = []
    if path.suffix == ".gz":
        with open_text(path) as fh:
            for line in fh:
                entries.extend(_parse_line(line, path))
        return entries, path.stat().st_size
    with path.open("rb") as fh:
        fh.seek(offset)
        data = fh.read()
    end = data.rfind(b"\n") + 1
    for line in data[:end].splitlines():
        entries.extend(_parse_line(line.decode("utf-8", "replace"), path))
    return entries, offset + end


def _parse_line(line: str, path: Path) -> list[LogEntry]:
    line = line.strip()
    if not line:
        return []
    try:
        return list(entries_from_request(json.loads(line)))
    except (ValueError, KeyError, TypeError) as exc:
        print(f"warning: skipping unreadable line in {path}: {exc}", file=sys.stderr)
        return []


class LogStore:
    """Reads the file exporter's output directory.

    Read positions are kept per file identity (device, inode), not per name: the
    exporter rotates by renaming ``logs.jsonl`` to a timestamped backup and starting a
    new file, so a renamed backup is not read twice and the new file is read from 0."""

    def __init__(self, directory: Path):
        self.directory = directory
        self._offsets: dict[tuple[int, int], int] = {}

    def describe(self) -> str:
        return f"native log store {self.directory}"

    def _read(self, only_new: bool) -> list[LogEntry]:
        entries: list[LogEntry] = []
        for path in log_files(self.directory):
            st = path.stat()
            key = (st.st_dev, st.st_ino)
            offset = self._offsets.get(key, 0) if only_new else 0
            if path.suffix == ".gz" and only_new and key in self._offsets:
                continue  # compressed backups never grow
            if st.st_size < offset:
                offset = 0  # truncated in place
            got, self._offsets[key] = read_file(path, offset)
            entries.extend(got)
        entries.sort(key=lambda e: e.time_ns)
        return entries

    def read_all(self) -> list[LogEntry]:
        return self._read(only_new=False)

    def read_new(self) -> list[LogEntry]:
        """Entries appended since the last read (for --follow)."""
        return self._read(only_new=True)

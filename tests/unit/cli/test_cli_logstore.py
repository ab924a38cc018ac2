"""The native log store: the collector file exporter's OTLP-JSON lines, recorded."""

import gzip
import json
import shutil

import pytest

from vibes_observe.clients.logs_model import LogFilter, normalize_level
from vibes_observe.clients.logstore import LogStore, entries_from_request
from recorded import FIXTURES


@pytest.fixture
def store_dir(tmp_path):
    d = tmp_path / "logs"
    d.mkdir()
    shutil.copy(FIXTURES / "logstore.jsonl", d / "logs.jsonl")
    return d


def test_reads_every_record_with_context(store_dir, recorded_workload):
    w = recorded_workload
    entries = LogStore(store_dir).read_all()
    # agent started + one line per call + tool failure + agent finished
    assert len(entries) == len(w.calls) + 3
    assert all(e.session_id == w.session_id and e.agent == w.agent for e in entries)
    assert all(e.service == w.service for e in entries)
    assert all(len(e.trace_id) == 32 for e in entries)
    assert [e.time_ns for e in entries] == sorted(e.time_ns for e in entries)
    assert entries[0].body == "agent started" and entries[0].level == "INFO"


def test_filters(store_dir, recorded_workload):
    entries = LogStore(store_dir).read_all()
    errors = [e for e in entries if LogFilter(level=normalize_level("warning")).matches(e)]
    assert {e.body for e in errors} == {"chat gpt-4o failed: RateLimitError",
                                        "tool web_search failed: timed out"}
    assert [e.body for e in entries if LogFilter(grep=r"claude-\w+").matches(e)] == [
        "chat claude-sonnet-4 ok: 800 in / 150 out"]
    assert not [e for e in entries if LogFilter(session="other").matches(e)]
    assert len([e for e in entries if LogFilter(service=recorded_workload.service).matches(e)]) == 7
    assert not [e for e in entries if LogFilter(service="other").matches(e)]
    tid = entries[0].trace_id.upper()
    assert len([e for e in entries if LogFilter(trace_id=tid).matches(e)]) == len(entries)


def test_bad_level_names_the_value():
    with pytest.raises(ValueError, match="'loud'"):
        normalize_level("loud")


def test_follow_reads_only_complete_new_lines(store_dir):
    store = LogStore(store_dir)
    assert len(store.read_all()) == 7
    line = (FIXTURES / "logstore.jsonl").read_text().splitlines()[0]
    in_first_line = len(list(entries_from_request(json.loads(line))))
    path = store_dir / "logs.jsonl"
    with path.open("a") as fh:
        fh.write(line[:50])  # the exporter is mid-write
    assert store.read_new() == []
    with path.open("a") as fh:
        fh.write(line[50:] + "\n")
    new = store.read_new()
    assert len(new) == in_first_line > 0
    assert store.read_new() == []


def test_follow_after_rotation_reads_the_new_file_once(store_dir):
    store = LogStore(store_dir)
    store.read_all()
    line = (FIXTURES / "logstore.jsonl").read_text().splitlines()[0]
    # how the file exporter rotates: rename to a backup, start a new file
    (store_dir / "logs.jsonl").rename(store_dir / "logs-2026-11-24T20-00-00.000.jsonl")
    (store_dir / "logs.jsonl").write_text(line + "\n")
    assert len(store.read_new()) == len(list(entries_from_request(json.loads(line))))
    assert store.read_new() == []


def test_follow_after_truncation_in_place(store_dir):
    store = LogStore(store_dir)
    store.read_all()
    short = json.dumps({"resourceLogs": [{"scopeLogs": [{"logRecords": [
        {"timeUnixNano": "1", "severityNumber": 17, "body": {"stringValue": "after truncation"}}]}]}]})
    (store_dir / "logs.jsonl").write_text(short + "\n")  # same inode, shorter than what was read
    new = store.read_new()
    assert [(e.body, e.level) for e in new] == [("after truncation", "ERROR")]


def test_rotated_gzip_backups_are_read(store_dir):
    src = store_dir / "logs.jsonl"
    with gzip.open(store_dir / "logs-2026-01-01T00-00-00.000.jsonl.gz", "wt") as fh:
        fh.write(src.read_text())
    assert len(LogStore(store_dir).read_all()) == 14


def test_unreadable_line_is_skipped_with_a_warning(store_dir, capsys):
    with (store_dir / "logs.jsonl").open("a") as fh:
        fh.write("{not json\n")
    assert len(LogStore(store_dir).read_all()) == 7
    assert "skipping unreadable line" in capsys.readouterr().err

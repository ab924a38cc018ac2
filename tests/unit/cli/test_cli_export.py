"""Export files: complete or absent, JSON lines or CSV with nested values as JSON."""

import csv
import json

import pytest

from vibes_observe.commands.export import SPAN_COLUMNS, _Writer, metric_names, span_rows
from vibes_sdk import names as n
from recorded import load


class _RecordedJaeger:
    url = "http://recorded-jaeger"

    def search(self, **kwargs):
        from vibes_observe.clients.jaeger import parse_trace
        return [parse_trace(t) for t in load("jaeger_search.json")["data"]]


def test_span_rows_from_recorded_search(recorded_workload):
    rows = list(span_rows(_RecordedJaeger(), 0, 0, 10))
    assert len(rows) == len(recorded_workload.calls) + 2
    assert set(rows[0]) == set(SPAN_COLUMNS)
    assert sum(float(r["cost_usd"] or 0) for r in rows) == pytest.approx(recorded_workload.cost())
    assert {r["session"] for r in rows} == {recorded_workload.session_id}


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_writer_renames_only_when_complete(tmp_path, fmt):
    rows = list(span_rows(_RecordedJaeger(), 0, 0, 10))
    w = _Writer(tmp_path / f"traces.{fmt}", fmt, SPAN_COLUMNS)
    for r in rows:
        w.write(r)
    assert not (tmp_path / f"traces.{fmt}").exists()  # still a .tmp while writing
    w.close()
    assert not list(tmp_path.glob("*.tmp"))
    text = (tmp_path / f"traces.{fmt}").read_text()
    if fmt == "jsonl":
        back = [json.loads(l) for l in text.splitlines()]
        assert back[0]["tags"] == rows[0]["tags"]
    else:
        back = list(csv.DictReader(text.splitlines()))
        assert json.loads(back[0]["tags"]) == rows[0]["tags"]
    assert len(back) == len(rows)


def test_aborted_writer_leaves_nothing(tmp_path):
    w = _Writer(tmp_path / "logs.jsonl", "jsonl", ("a",))
    w.write({"a": 1})
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_metric_names_cover_every_instrument():
    names = metric_names()
    assert n.COST.prom in names and n.OPERATION_DURATION.prom_bucket in names
    assert n.TOKEN_USAGE.prom_count in names and n.AGENT_ACTIVE.prom in names
    assert len(names) == sum(3 if i.kind == "histogram" else 1 for i in n.INSTRUMENTS)

"""Fixtures for the CLI unit tests: recorded real backend answers (see record_fixtures.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from recorded import load  # noqa: E402


@pytest.fixture(scope="session")
def recorded_workload():
    """The workload definition the fixtures were recorded from (its figures are the expectations)."""
    import workload
    return workload.make_workload(load("meta.json")["tag"])


@pytest.fixture(scope="session")
def recorded_trace():
    from vibes_observe.clients.jaeger import parse_trace
    return parse_trace(load("jaeger_trace.json")["data"][0])


class ReplayPrometheus:
    """Answers PromQL queries with the responses Prometheus gave when they were recorded."""

    url = "http://recorded-prometheus"

    def __init__(self):
        self.answers = load("prometheus_answers.json")

    def query(self, expr, at=None):
        from vibes_observe.clients.prometheus import parse_vector
        if expr not in self.answers:
            raise AssertionError(f"no recorded answer for {expr!r}: the query changed, "
                                 "re-run tests/unit/cli/record_fixtures.py against a live stack")
        return parse_vector(self.answers[expr])


@pytest.fixture
def replay_prometheus():
    return ReplayPrometheus()


@pytest.fixture(autouse=True)
def _own_vibes_home(tmp_path, monkeypatch):
    """Never read or write a real stack's state dir (rule files, manifests) from a unit test."""
    monkeypatch.setenv("VIBES_HOME", str(tmp_path / "vibes-home"))
    monkeypatch.delenv("VIBES_RULES_DIR", raising=False)

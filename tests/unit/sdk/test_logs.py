"""Logging: level table vs the OpenTelemetry SDK's mapping, keyword fields, console formats."""

from __future__ import annotations

import io
import json
import logging

import pytest
from opentelemetry.sdk._logs._internal import std_to_otel

import vibes_sdk as vibes
from vibes_sdk._internal.loghandler import JsonFormatter, PrettyFormatter, severity_number
from vibes_sdk.logs import LEVEL_TABLE


@pytest.mark.parametrize("levelno", list(range(0, 60)))
def test_severity_matches_the_otel_sdk(levelno):
    assert severity_number(levelno) == std_to_otel(levelno).value


def test_level_table_documented():
    from pathlib import Path
    doc = (Path(__file__).resolve().parents[3] / "docs" / "sdk.md").read_text()
    for name, levelno, number, text in LEVEL_TABLE:
        assert f"| {name} | {levelno} | {number} | {text} |" in doc


def test_keyword_fields_and_reserved_names(sdk):
    log = vibes.get_logger("fields")
    log.info("hello %s", "world", user_id_hash="abc", message="clash", args=1)
    (rec,) = [r for r in sdk.logs() if r.body == "hello world"]
    assert rec.attributes["user_id_hash"] == "abc"
    assert rec.attributes["message_"] == "clash" and rec.attributes["args_"] == 1
    assert rec.severity_text == "INFO" and rec.severity_number.value == 9


def test_exceptions_are_recorded(sdk):
    try:
        raise KeyError("k")
    except KeyError:
        vibes.get_logger("err").exception("failed", step=2)
    (rec,) = [r for r in sdk.logs() if r.body == "failed"]
    assert rec.attributes["exception.type"] == "KeyError"
    assert "Traceback" in rec.attributes["exception.stacktrace"]


def test_level_from_config_filters(sdk_factory):
    sdk = sdk_factory(log_level="WARNING")
    vibes.get_logger("lvl").info("quiet")
    vibes.get_logger("lvl").warning("loud")
    bodies = [r.body for r in sdk.logs()]
    assert "loud" in bodies and "quiet" not in bodies


def _record(**fields):
    rec = logging.LogRecord("app", logging.WARNING, __file__, 1, "msg %d", (5,), None)
    rec.__dict__.update(fields)
    return rec


def test_console_json_and_pretty():
    line = JsonFormatter().format(_record(tool="search", **{"gen_ai.conversation.id": "s1"}))
    data = json.loads(line)
    assert data["message"] == "msg 5" and data["level"] == "WARNING"
    assert data["tool"] == "search" and data["gen_ai.conversation.id"] == "s1"
    pretty = PrettyFormatter().format(_record(tool="search"))
    assert "WARNING" in pretty and "msg 5" in pretty and "tool=search" in pretty


def test_console_exporter_writes_json(sdk_factory, capsys):
    sdk_factory(logs_exporter="console", log_format="json")
    with vibes.session("s-console"):
        vibes.get_logger("console").warning("shown", n=1)
    err = capsys.readouterr().err
    line = next(l for l in err.splitlines() if '"shown"' in l)
    data = json.loads(line)
    assert data["n"] == 1 and data["gen_ai.conversation.id"] == "s-console"


def test_host_app_still_sees_warnings_on_stderr(tmp_path):
    import subprocess
    import sys
    script = ("import logging, vibes_sdk as v\n"
              "v.init(traces_exporter='none', metrics_exporter='none', logs_exporter='none', system_metrics=False)\n"
              "logging.getLogger('app').warning('disk almost full')\n"
              "logging.getLogger('app').info('not shown')\n")
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "disk almost full" in run.stderr and "not shown" not in run.stderr

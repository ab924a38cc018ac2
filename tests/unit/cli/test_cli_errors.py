"""A backend that is down gives one clear line naming it and its URL, exit code 2."""

import socket

import pytest

from vibes_observe.cli import main
from vibes_observe.clients import endpoints as endpoints_mod
from vibes_observe.clients.logstore import IMPORTED_MARKER


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("argv, backend, flag", [
    (["traces"], "Jaeger", "--jaeger-url"),
    (["traces", "show", "abc"], "Jaeger", "--jaeger-url"),
    (["metrics"], "Prometheus", "--prometheus-url"),
    (["cost"], "Prometheus", "--prometheus-url"),
    (["cost", "--session", "s"], "Jaeger", "--jaeger-url"),
    (["alerts"], "Alertmanager", "--alertmanager-url"),
    (["alerts", "rules", "list"], "Prometheus", "--prometheus-url"),
    (["logs", "--source", "loki"], "Loki", "--loki-url"),
    (["logs"], "VictoriaLogs", "--victorialogs-url"),
    (["logs", "--follow"], "VictoriaLogs", "--victorialogs-url"),
])
def test_unreachable_backend_is_named_with_its_url(argv, backend, flag, capsys):
    url = f"http://127.0.0.1:{_closed_port()}"
    code = main(["observe", flag, url, *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert f"error: {backend} at {url}: unreachable" in err


def test_env_var_sets_the_url(monkeypatch, capsys):
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("VIBES_PROMETHEUS_URL", url)
    assert main(["observe", "metrics"]) == 2
    assert f"Prometheus at {url}" in capsys.readouterr().err


def test_missing_log_store_is_named(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("VIBES_LOKI_URL", raising=False)
    missing = tmp_path / "nope"
    code = main(["observe", "--loki-url", "", "--log-dir", str(missing), "logs", "--source", "files"])
    assert code == 2
    assert f"native log store at {missing}: directory does not exist" in capsys.readouterr().err


def test_bad_level_and_bad_regex_name_their_flag(capsys):
    assert main(["observe", "logs", "--level", "loud"]) == 2
    assert "--level" in capsys.readouterr().err
    for pattern in ("(unclosed", "(?=lookahead)", r"(a)\1"):
        assert main(["observe", "logs", "--grep", pattern]) == 2
        err = capsys.readouterr().err
        assert "Invalid value for --grep" in err and repr(pattern) in err


def test_bad_option_value_names_option(capsys):
    assert main(["observe", "metrics", "--window", "forever"]) == 2
    err = capsys.readouterr().err
    assert "--window" in err and "'forever'" in err


def test_status_reports_each_backend_down(tmp_path, capsys):
    url = f"http://127.0.0.1:{_closed_port()}"
    (tmp_path / "logs.jsonl").write_text("{}\n")
    code = main(["observe", "--prometheus-url", url, "--jaeger-url", url, "--alertmanager-url", url,
                 "--loki-url", url, "--victorialogs-url", url, "--log-dir", str(tmp_path), "status"])
    out = capsys.readouterr().out
    assert code == 1
    for backend in ("prometheus", "jaeger", "alertmanager", "loki", "victorialogs"):
        line = next(l for l in out.splitlines() if f" {backend} " in l)
        assert "DOWN" in line and url in line
    old = next(l for l in out.splitlines() if " old-log-store " in l)
    assert str(tmp_path) in old and "vibes observe logs import" in old


def test_status_without_loki_requires_victorialogs_and_forgets_an_imported_store(tmp_path, monkeypatch, capsys):
    for var in ("VIBES_LOKI_URL", "VIBES_VICTORIALOGS_URL"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "logs.jsonl").write_text("{}\n")
    (tmp_path / IMPORTED_MARKER).write_text("imported\n")
    closed = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setattr(endpoints_mod, "DEFAULT_PORTS", {**endpoints_mod.DEFAULT_PORTS, "loki": _closed_port(),
                                                          "victorialogs": _closed_port()})
    code = main(["observe", "--prometheus-url", closed, "--jaeger-url", closed, "--alertmanager-url", closed,
                 "--log-dir", str(tmp_path), "status"])
    out = capsys.readouterr().out
    assert code == 1
    assert next(l for l in out.splitlines() if " victorialogs " in l).startswith("DOWN")
    assert next(l for l in out.splitlines() if " loki " in l).startswith("off")
    assert "old-log-store" not in out

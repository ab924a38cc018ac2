"""The dashboard frame, rendered from recorded backend answers, and with backends down."""

import time

from rich.console import Console

from vibes_observe import tui
from vibes_observe.commands.metrics import summary
from recorded import load


def _screen(snap) -> str:
    console = Console(width=180, height=30, record=True, color_system=None)
    console.print(tui.render(snap), height=30)
    return console.export_text()


def test_frame_from_recorded_answers(replay_prometheus, recorded_workload):
    w = recorded_workload
    flt = {"agent": w.agent}
    snap = tui.Snapshot(taken_at=time.time(), window="1h",
                        summary=summary(replay_prometheus, 3600, flt),
                        by_model=summary(replay_prometheus, 3600, flt, "model"),
                        by_agent={},  # not recorded: shows the empty-window hint
                        cost_today={"cost_usd": w.cost(), "unpriced_requests": w.unpriced_calls},
                        active={"sessions": 2.0, "agents": None},
                        alerts=load("alertmanager_alerts.json"))
    text = _screen(snap)
    tiles = text.splitlines()[2]
    assert tiles.split("│")[1].strip() == str(len(w.calls))
    assert "25.0%" in tiles
    assert f"{w.tokens('input'):,} / {w.tokens('output'):,}" in tiles
    assert "$0.0172 +1 unpriced" in tiles
    assert "2 / n/a" in tiles
    mystery = next(l for l in text.splitlines() if "mystery-model-x" in l)
    assert "unpriced" in mystery and "$0.0000" not in mystery
    gpt = next(l for l in text.splitlines() if "gpt-4o" in l)
    assert "$0.0125" in gpt and "50%" in gpt
    assert "no requests in this window" in text
    for alert in load("alertmanager_alerts.json"):
        assert alert["labels"]["alertname"] in text
    assert "q or Ctrl-C to quit" in text


def test_frame_with_backends_down_names_them():
    snap = tui.Snapshot(taken_at=time.time(), window="1h", errors={
        "prometheus": "Prometheus at http://127.0.0.1:1: unreachable",
        "alertmanager": "Alertmanager at http://127.0.0.1:2: unreachable"})
    text = _screen(snap)
    assert "Prometheus at http://127.0.0.1:1: unreachable" in text
    assert "Alertmanager at" in text


def test_gather_survives_unreachable_backends():
    from vibes_observe.clients import Endpoints
    ep = Endpoints.resolve(prometheus="http://127.0.0.1:9", jaeger="http://127.0.0.1:9",
                           alertmanager="http://127.0.0.1:9", loki="http://127.0.0.1:9", log_dir="/nonexistent")
    snap = tui.gather(ep, "1h", 3600)
    assert snap.summary is None and snap.alerts is None
    assert "http://127.0.0.1:9" in snap.errors["prometheus"] and "http://127.0.0.1:9" in snap.errors["alertmanager"]

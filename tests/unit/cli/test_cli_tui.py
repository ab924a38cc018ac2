"""The Textual dashboard driven headless by Textual's own pilot: figures from recorded
Prometheus answers on screen, keys switch range and view, a down backend greys its panels."""

import asyncio
import time

from textual.widgets import ContentSwitcher, DataTable, Static

from vibes_observe.clients import Endpoints
from vibes_observe.commands.metrics import summary
from vibes_observe.tui import snapshot
from vibes_observe.tui.app import Dashboard
from recorded import load

EP = Endpoints.resolve(prometheus="http://127.0.0.1:9", jaeger="http://127.0.0.1:9",
                       alertmanager="http://127.0.0.1:9", loki="http://127.0.0.1:9", log_dir="/nonexistent")


def _recorded_snapshot(prom, w, range_key):
    flt = {"agent": w.agent}
    return snapshot.Snapshot(
        taken_at=time.time(), range_key=range_key,
        summary=summary(prom, 3600, flt), by_model=summary(prom, 3600, flt, "model"), by_agent={},
        tools={"web_search": {"calls": 1.0, "errors": 1.0}},
        costs={p: {"cost_usd": w.cost(), "unpriced_requests": w.unpriced_calls} for p in snapshot.PERIODS},
        active={"sessions": 2.0, "agents": None, "swarms": None}, chart=[(0.0, 1.0), (1.0, 3.0)],
        sessions=[], alerts=load("alertmanager_alerts.json"))


def _drive(app, steps):
    async def run():
        async with app.run_test(size=(180, 50)) as pilot:
            for step in steps:
                await step(pilot)
    asyncio.run(run())


async def _loaded(pilot, count=1):
    for _ in range(200):
        if pilot.app.refreshes >= count:
            return
        await pilot.pause(0.02)
    raise AssertionError("the dashboard never drew a snapshot")


def _tile(app, name) -> str:
    return str(app.query_one(f"#tile-{name}", Static).content)


def test_figures_on_screen_and_keys(replay_prometheus, recorded_workload):
    w = recorded_workload
    asked = []

    def source(ep, range_key, filters):
        asked.append(range_key)
        return _recorded_snapshot(replay_prometheus, w, range_key)

    app = Dashboard(EP, interval=3600, source=source)
    seen = {}

    async def check(pilot):
        await _loaded(pilot)
        seen["requests"] = _tile(app, "requests")
        seen["tokens"] = _tile(app, "tokens")
        seen["cost"] = _tile(app, "cost")
        seen["rates"] = _tile(app, "rates")
        seen["active"] = _tile(app, "active")
        models = app.query_one("#models", DataTable)
        seen["models"] = {models.get_row_at(i)[0]: models.get_row_at(i) for i in range(models.row_count)}
        alerts = app.query_one("#alerts", DataTable)
        seen["alerts"] = {alerts.get_row_at(i)[1] for i in range(alerts.row_count)}
        await pilot.press("c")
        seen["view"] = app.query_one(ContentSwitcher).current
        await pilot.press("2")
        await _loaded(pilot, 2)
        seen["range"] = app.range_key

    _drive(app, [check])
    assert seen["requests"] == str(len(w.calls))
    assert seen["tokens"] == f"{w.tokens('input'):,} / {w.tokens('output'):,}"
    assert f"today ${w.cost():.4f} +{w.unpriced_calls} unpriced" in seen["cost"]
    assert seen["rates"] == f"{(1 - w.errors / len(w.calls)) * 100:.1f}% / {w.errors / len(w.calls) * 100:.1f}%"
    assert seen["active"] == "2 / n/a / n/a"
    assert set(seen["models"]) == {c.model for c in w.calls}
    assert "unpriced" in seen["models"]["mystery-model-x"][4]
    assert seen["alerts"] == {a["labels"]["alertname"] for a in load("alertmanager_alerts.json")}
    assert (seen["view"], seen["range"]) == ("cost", "24h")
    assert asked[:2] == ["1h", "24h"]


def test_down_backend_greys_only_its_panels():
    def source(ep, range_key, filters):
        return snapshot.Snapshot(taken_at=time.time(), range_key=range_key, alerts=[], sessions=[],
                                 errors={"prometheus": "Prometheus at http://127.0.0.1:1: unreachable"})

    app = Dashboard(EP, interval=3600, source=source)
    seen = {}

    async def check(pilot):
        await _loaded(pilot)
        seen["tile"] = app.query_one("#tile-requests").has_class("down")
        seen["models"] = app.query_one("#models").has_class("down")
        seen["alerts"] = app.query_one("#alerts").has_class("down")
        seen["reason"] = str(app.query_one("#reason", Static).content)
        seen["row"] = str(app.query_one("#models", DataTable).get_row_at(0)[0])

    _drive(app, [check])
    assert seen["tile"] and seen["models"] and not seen["alerts"]
    assert "Prometheus at http://127.0.0.1:1: unreachable" in seen["reason"]
    assert "http://127.0.0.1:1" in seen["row"]


def test_gather_survives_unreachable_backends():
    snap = snapshot.gather(EP, "1h")
    assert snap.summary is None and snap.alerts is None and snap.sessions is None
    for backend in ("prometheus", "jaeger", "alertmanager"):
        assert "http://127.0.0.1:9" in snap.errors[backend]

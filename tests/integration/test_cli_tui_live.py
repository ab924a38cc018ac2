"""The Textual dashboard against the live stack after a known workload, driven headless
by Textual's pilot: the figures on screen are the workload's; keys switch view and range;
Enter on the session opens its trace tree; a backend that goes down greys its panels."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import ContentSwitcher, DataTable, Static, Tree

import workload as wl  # on sys.path via conftest

from vibes_observe.clients import Endpoints  # noqa: E402
from vibes_observe.tui.app import Dashboard, TraceScreen  # noqa: E402

pytestmark = pytest.mark.integration


def _endpoints(stack, **override) -> Endpoints:
    urls = {"prometheus": stack.prometheus_url, "jaeger": stack.jaeger_url,
            "alertmanager": stack.alertmanager_url, **override}
    return Endpoints.resolve(loki="http://127.0.0.1:9", log_dir=str(stack.log_dir), **urls)


async def _until(pilot, check, what: str, tries: int = 600):
    for _ in range(tries):
        value = check()
        if value:
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"the dashboard never showed {what}")


def _rows(app, table_id: str) -> list[list[str]]:
    table = app.query_one(f"#{table_id}", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def test_dashboard_shows_the_workload(stack, sent):
    app = Dashboard(_endpoints(stack), interval=3600, filters={"agent": sent.agent})
    seen: dict = {}

    async def drive():
        async with app.run_test(size=(200, 60)) as pilot:
            await _until(pilot, lambda: app.refreshes, "a first snapshot")
            for tile in ("requests", "tokens", "cost", "latency", "rates"):
                seen[tile] = str(app.query_one(f"#tile-{tile}", Static).content)
            seen["models"] = {r[0]: r for r in _rows(app, "models")}
            seen["tools"] = _rows(app, "tools")
            seen["chart"] = list(app.query_one("#chart").data)
            await pilot.press("s")
            seen["view"] = app.query_one(ContentSwitcher).current
            seen["sessions"] = _rows(app, "session-list")
            app.query_one("#session-list", DataTable).focus()
            await pilot.press("enter")
            screen = await _until(pilot, lambda: isinstance(app.screen, TraceScreen) and app.screen, "the trace tree")
            tree = screen.query_one(Tree)
            await _until(pilot, lambda: tree.root.children, "the session's traces")

            def labels(node):
                yield str(node.label)
                for child in node.children:
                    yield from labels(child)

            seen["tree"] = list(labels(tree.root))
            await pilot.press("escape")
            await pilot.press("3")
            await _until(pilot, lambda: app.refreshes >= 2, "the 7d range")
            seen["range_requests"] = str(app.query_one("#tile-requests", Static).content)
            app.save_screenshot(str(Path(stack.state_dir) / "dashboard.svg"))

    asyncio.run(drive())
    w = sent
    assert seen["requests"] == str(len(w.calls))
    assert seen["tokens"] == f"{w.tokens('input'):,} / {w.tokens('output'):,}"
    assert f"today ${w.cost():.4f} +{w.unpriced_calls} unpriced" in seen["cost"]
    assert seen["rates"] == f"{(1 - w.errors / len(w.calls)) * 100:.1f}% / {w.errors / len(w.calls) * 100:.1f}%"
    assert seen["latency"].count("ms") == 2  # avg and p99 of 20–120 ms calls
    assert set(seen["models"]) == {c.model for c in w.calls}
    gpt = seen["models"]["gpt-4o"]
    assert gpt[1] == "2" and gpt[2] == "50.0%" and gpt[4] == f"${w.cost('gpt-4o'):.4f}"
    assert "unpriced" in seen["models"]["mystery-model-x"][4]
    assert seen["tools"] == [["web_search", "1", "1", "100.0%"]]
    assert sum(seen["chart"]) == len(w.calls)
    assert seen["view"] == "sessions"
    row = next(r for r in seen["sessions"] if r[0] == w.session_id)
    assert row[1] == w.agent and row[3] == "1" and row[6] == f"${w.cost():.4f} +{w.unpriced_calls} unpriced"
    tree = "\n".join(seen["tree"])
    assert w.trace_ids[0] in tree and f"invoke_agent {w.agent}" in tree
    for model in {c.model for c in w.calls}:
        assert f"chat {model}" in tree
    assert seen["range_requests"] == str(len(w.calls))  # still all inside 7d


def test_a_down_backend_greys_its_panels_only(stack, sent):
    app = Dashboard(_endpoints(stack, jaeger="http://127.0.0.1:9"), interval=3600, filters={"agent": sent.agent})
    seen: dict = {}

    async def drive():
        async with app.run_test(size=(200, 60)) as pilot:
            await _until(pilot, lambda: app.refreshes, "a first snapshot")
            seen["sessions_down"] = app.query_one("#session-list").has_class("down")
            seen["models_down"] = app.query_one("#models").has_class("down")
            seen["reason"] = str(app.query_one("#reason", Static).content)
            seen["requests"] = str(app.query_one("#tile-requests", Static).content)

    asyncio.run(drive())
    assert seen["sessions_down"] and not seen["models_down"]
    assert "Jaeger at http://127.0.0.1:9" in seen["reason"]
    assert seen["requests"] == str(len(sent.calls))

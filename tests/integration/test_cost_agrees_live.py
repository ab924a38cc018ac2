"""Every "cost today" is one number: `vibes observe cost`, the Cost dashboard's Today panel
(its query taken from the committed dashboard JSON) and a budget's `spent` series, after a
priced workload, once the ledger rules have run. The expected figure comes from the
workload definition (tests/unit/cli/workload.py), never from the code under test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import workload as wl  # on sys.path via conftest
from conftest import http_json, poll

pytestmark = pytest.mark.integration

COST_DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "cost.json"
BUDGET = "agent-today"


def _today_panel_query(agent: str) -> str:
    panels = json.loads(COST_DASHBOARD.read_text())["panels"]
    (expr,) = [t["expr"] for p in panels if p.get("title") == "Today" for t in p.get("targets", [])]
    values = {"$service": ".*", "$model": ".*", "$agent": agent, "$cost_center": ".*"}
    for var, value in values.items():
        expr = expr.replace(var, value)
    return expr


def _value(stack, expr: str) -> float | None:
    from urllib.parse import urlencode
    result = http_json(f"{stack.prometheus_url}/api/v1/query?{urlencode({'query': expr})}")["data"]["result"]
    return sum(float(r["value"][1]) for r in result) if result else None


def test_cli_dashboard_and_budget_agree_on_cost_today(stack, sent):
    expected = sent.cost()
    assert expected == pytest.approx(0.0172)
    stack.redeploy({"alerting": {"budgets": [{"name": BUDGET, "amount": 100, "period": "day",
                                              "agent": sent.agent}]}})
    try:
        panel = _today_panel_query(sent.agent)
        spent = f'vibes:budget_usd:spent{{budget="{BUDGET}"}}'
        # three chained 1-minute groups (ledger → cost periods → budgets), phased anew by the
        # redeploy's Prometheus restart: one chain can take past 3 minutes, so wait for two
        poll(lambda: _value(stack, panel) == pytest.approx(expected) and _value(stack, spent) == pytest.approx(expected),
             timeout=420, interval=2, what="the ledger's period and budget rules to count the workload")
        cli = json.loads(wl.run_cli(stack, "cost", "--agent", sent.agent, "--period", "today", "--json").stdout)
        figures = {"cli": cli["prometheus"]["periods"]["today"]["cost_usd"],
                   "dashboard Today panel": _value(stack, panel),
                   "budget spent": _value(stack, spent)}
        assert figures == {k: pytest.approx(expected) for k in figures}
        # not three numbers that happen to agree: the same value to the last bit the CLI prints
        assert len({round(v, 10) for v in figures.values()}) == 1, figures
    finally:
        stack.reset()

"""Generated dashboards: conventions, links, units, and every query parsed by promtool."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml

from vibes_observe import datasources
from vibes_observe import dashboards
from vibes_observe.dashboards import DASHBOARDS, prometheus_targets, render
from vibes_sdk import names

REPO = Path(__file__).resolve().parents[3]
EXPECTED_UIDS = {"overview": "vibes-overview", "cost": "vibes-cost", "models": "vibes-models",
                 "agents": "vibes-agents", "sessions": "vibes-sessions", "stack-health": "vibes-stack-health"}
UNITLESS_TYPES = {"row", "text", "logs"}
# Grafana's variables, replaced by concrete values for parsing (and by the live test).
SUBSTITUTIONS = {"$__rate_interval": "1m", "$__interval": "1m", "$__interval_ms": "60000", "$__range": "1h", "$service": ".*",
                 "$model": ".*", "$agent": ".*", "$cost_center": ".*", "$session": "s-1"}


def model(slug: str) -> dict:
    return json.loads(render(slug))


def panels(slug: str) -> list[dict]:
    return [p for p in model(slug)["panels"] if p["type"] != "row"]


def substitute(expr: str) -> str:
    return dashboards.substitute(expr, SUBSTITUTIONS)


def test_all_six_dashboards_are_committed_and_current():
    assert set(DASHBOARDS) == set(EXPECTED_UIDS)
    for slug in DASHBOARDS:
        assert (REPO / "dashboards" / f"{slug}.json").read_text() == render(slug), f"{slug}: run make generate"


@pytest.mark.parametrize("slug", sorted(EXPECTED_UIDS))
def test_dashboard_conventions(slug):
    m = model(slug)
    assert m["uid"] == EXPECTED_UIDS[slug]
    assert m["title"].startswith("Vibes / ")
    assert "vibes" in m["tags"]
    assert m["timezone"] == "utc", "budget periods are UTC: dashboards must agree"
    assert m["time"]["from"].startswith("now") and m["time"]["to"] == "now"
    names = [v["name"] for v in m["templating"]["list"]]
    assert names[:4] == ["service", "model", "agent", "cost_center"]
    link_types = [link["type"] for link in m["links"]]
    assert "dashboards" in link_types, "link to the other Vibes dashboards"
    urls = [unquote(link["url"]) for link in m["links"] if link["type"] == "link"]
    assert any(datasources.JAEGER_UID in u for u in urls) and any(datasources.LOKI_UID in u for u in urls)


@pytest.mark.parametrize("slug", sorted(EXPECTED_UIDS))
def test_panels_have_descriptions_units_ids_and_fit_the_grid(slug):
    ps = model(slug)["panels"]
    ids = [p["id"] for p in ps]
    assert len(ids) == len(set(ids))
    for p in ps:
        assert 0 <= p["gridPos"]["x"] and p["gridPos"]["x"] + p["gridPos"]["w"] <= 24
        if p["type"] == "row":
            continue
        assert p.get("description"), f"{p['title']}: no description"
        if p["type"] not in UNITLESS_TYPES:
            assert p["fieldConfig"]["defaults"].get("unit"), f"{p['title']}: no unit"
        for t in p.get("targets", []):
            assert t["datasource"]["uid"] in datasources.ALL_UIDS


def _expected_unit(title: str, exprs: list[str]) -> str | None:
    """The unit a panel must carry, from what it shows (None: not classified here)."""
    t = title.lower()
    joined = " ".join(exprs)
    if re.search(r"\b(rate|success|utilization|fill|used)\b", t) and "burn" not in t:
        return "percentunit"
    if "runs out" in t:
        return None
    if "cost_usd" in joined or "budget_usd" in joined or "spend" in t:
        return "currencyUSD"
    if "tokens:increment" in joined:
        return "suffix: tokens"
    if any(w in t for w in ("latency", "duration", "first chunk", "length", "coordination")):
        return "s"
    return None


def test_units_match_what_is_shown():
    classified = 0
    for slug in DASHBOARDS:
        for p in panels(slug):
            exprs = [t.get("expr", "") for t in p.get("targets", [])]
            want = _expected_unit(p["title"], exprs)
            if want is None or p["type"] in UNITLESS_TYPES:
                continue
            classified += 1
            assert p["fieldConfig"]["defaults"]["unit"] == want, f"{slug}/{p['title']}"
    assert classified >= 35


def test_panel_links_reach_traces_and_logs():
    for slug in ("overview", "cost", "models", "agents"):
        linked = [p for p in panels(slug) if p.get("links")]
        assert linked, slug
        for p in linked:
            urls = " ".join(unquote(link["url"]) for link in p["links"])
            assert datasources.JAEGER_UID in urls and datasources.LOKI_UID in urls


def _known_series() -> set[str]:
    from vibes_observe.alerting import defaults as d
    from vibes_sdk import names
    known = {"up", d.TARGET_INFO}
    for inst in names.INSTRUMENTS:
        known |= {inst.prom, inst.prom_bucket, inst.prom_count, inst.prom_sum}
    known |= {inst.prom for inst in names.INFERENCE_USAGE_COUNTERS.values()}  # read, emitted on opt-in
    for f in (REPO / "alert_rules").glob("*.yml"):
        for g in yaml.safe_load(f.read_text())["groups"]:
            known |= {r["record"] for r in g["rules"] if "record" in r}
    known |= {d.COLLECTOR_QUEUE_SIZE, d.COLLECTOR_QUEUE_CAPACITY, d.PROMETHEUS_RULE_FAILURES, d.PROMETHEUS_RULE_MISSED,
              d.ALERTMANAGER_NOTIFY_FAILED}
    for template in (d.COLLECTOR_ACCEPTED, d.COLLECTOR_REFUSED, d.COLLECTOR_FAILED, d.COLLECTOR_SEND_FAILED,
                     d.COLLECTOR_ENQUEUE_FAILED, d.COLLECTOR_SENT):
        known |= {template.format(signal=sig) for sig in d.COLLECTOR_SIGNALS}
    return known


def test_every_metric_a_panel_queries_exists():
    """Peers shipped panels naming metrics that did not exist: never here."""
    known = _known_series()
    functions = {"sum", "rate", "sum_over_time", "histogram_quantile", "topk", "vector", "scalar", "max",
                 "min", "avg", "increase", "clamp_min", "label_replace", "time", "days_in_month",
                 "day_of_month", "by", "or", "and", "on", "le", "job", "max_over_time", "offset", "unless",
                 "receiver", "exporter"}
    for slug in DASHBOARDS:
        for p, t in prometheus_targets(slug):
            expr = re.sub(r'"[^"]*"', '""', t["expr"])  # drop string literals
            expr = re.sub(r"\$__\w+", "", expr)  # Grafana's range variables
            expr = re.sub(r"\{[^}]*\}", "", expr)  # drop matchers
            expr = re.sub(r"by \([^)]*\)", "", expr)
            expr = re.sub(r"\[[^\]]*\]", "", expr)
            expr = re.sub(r"offset -?\w+|\$__\w+", "", expr)
            tokens = set(re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", expr)) - functions
            unknown = {tok for tok in tokens if tok not in known}
            assert not unknown, f"{slug}/{p['title']}: unknown series {sorted(unknown)}"


def test_every_prometheus_query_parses_with_promtool(tmp_path):
    promtool = shutil.which("promtool") or "/usr/bin/promtool"
    if not Path(promtool).exists():
        pytest.fail("promtool is not installed: dashboard queries cannot be checked", pytrace=False)
    rules = [{"record": f"check:{slug.replace('-', '_')}:{i}", "expr": substitute(t["expr"])}
             for slug in DASHBOARDS for i, (_, t) in enumerate(prometheus_targets(slug))]
    assert len(rules) > 60
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    res = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stdout + res.stderr


def test_jaeger_and_loki_queries_are_well_formed():
    seen = {"jaeger": 0, "loki": 0, "loki metric": 0}
    for slug in DASHBOARDS:
        for p in panels(slug):
            for t in p.get("targets", []):
                uid = t["datasource"]["uid"]
                if uid == datasources.JAEGER_UID:
                    seen["jaeger"] += 1
                    assert t["queryType"] == "search" and t["service"] == "$service" and t["limit"] > 0
                    if "tags" in t:
                        assert re.fullmatch(r"[a-z_.]+=\$[a-z_]+", t["tags"])
                elif uid == datasources.LOKI_UID:
                    seen["loki"] += 1
                    if LOKI_METRIC.fullmatch(t["expr"]):
                        seen["loki metric"] += 1
                        assert t.get("instant") is True, f"{slug}/{p['title']}: a table over the range"
                        assert t["expr"].count("(") == t["expr"].count(")")
                    else:
                        assert re.fullmatch(r'\{service_name=~"\$service"\}( \| [a-z_]+="\$session")?',
                                            t["expr"]), f"{slug}/{p['title']}: {t['expr']}"
    assert seen["jaeger"] >= 3 and seen["loki"] >= 5 and seen["loki metric"] >= 4


# Loki 3 stores OTLP log attributes as structured metadata with dots turned to underscores
# (https://grafana.com/docs/loki/latest/send-data/otel/): the summary event's attributes.
_EVENT = f'{names.LOG_EVENT_NAME.replace(".", "_")}="{names.VIBES_EVENT_SESSION_SUMMARY}"'
_COST = names.VIBES_COST_USD.replace(".", "_")
LOKI_METRIC = re.compile(
    r'sum by \((?P<by>[a-z_]+)\) \(sum_over_time\(\{service_name=~"\$service"\} \| '
    + re.escape(_EVENT) + r" \| unwrap " + re.escape(_COST) + r' \| __error__="" \[\$__range\]\)\)')


@pytest.mark.parametrize("slug", ["cost", "sessions"])
def test_cost_by_session_and_user_come_from_session_summaries(slug):
    by_title = {p["title"]: p for p in panels(slug)}
    want = {"Cost by session": names.VIBES_SESSION_ID, "Cost by user": names.VIBES_USER_ID}
    for title, attribute in want.items():
        p = by_title[title]
        assert p["type"] == "table" and p["datasource"]["uid"] == datasources.LOKI_UID
        assert p["fieldConfig"]["defaults"]["unit"] == "currencyUSD"
        assert "closed" in p["description"].lower(), "say that open sessions are not in it"
        (t,) = p["targets"]
        m = LOKI_METRIC.fullmatch(t["expr"])
        assert m and m["by"] == attribute.replace(".", "_"), t["expr"]
    if slug == "cost":
        assert any(p["type"] == "table" and p["datasource"]["uid"] == datasources.JAEGER_UID
                   for p in by_title.values()), "the traces table stays"

"""LogQL built from the logs filters, and parsing of Loki's query_range answer.

No Loki binary exists on these machines (AGPL, not buildable here), so the answer
below follows the documented /loki/api/v1/query_range "streams" shape with the labels
Loki's OTLP ingestion produces (service_name index label; attributes as structured
metadata with dots turned into underscores)."""

from vibes_observe.clients.logs_model import LogFilter
from vibes_observe.clients.loki import build_logql, parse_streams
from vibes_sdk import names as n


def test_logql_from_filters():
    q = build_logql(LogFilter(session="s-1", agent="planner", trace_id="ABCD", level="WARN",
                              grep='fail(ed)?"'))
    assert q == ('{service_name=~".+"}'
                 f' | {n.prom_label(n.VIBES_SESSION_ID)}="s-1"'
                 f' | {n.prom_label(n.GEN_AI_AGENT_NAME)}="planner"'
                 ' | trace_id="abcd"'
                 ' | severity_number >= 13'
                 ' |~ "fail(ed)?\\""')


def test_logql_without_filters_selects_every_service():
    assert build_logql(LogFilter()) == '{service_name=~".+"}'
    assert build_logql(LogFilter(service="svc")) == '{service_name="svc"}'


def test_parse_streams():
    answer = {"status": "success", "data": {"resultType": "streams", "result": [
        {"stream": {"service_name": "agent-svc", "gen_ai_conversation_id": "s-1",
                    "gen_ai_agent_name": "planner", "severity_text": "WARNING",
                    "trace_id": "0af7651916cd43dd8448eb211c80319c", "span_id": "b7ad6b7169203331"},
         "values": [["1795552917883571200", "tool call slow"], ["1795552917000000000", "planning"]]}]}}
    entries = parse_streams(answer)
    assert [e.body for e in entries] == ["planning", "tool call slow"]  # oldest first
    e = entries[1]
    assert (e.session_id, e.agent, e.level, e.service) == ("s-1", "planner", "WARN", "agent-svc")
    assert e.trace_id == "0af7651916cd43dd8448eb211c80319c"
    assert LogFilter(session="s-1", level="WARN").matches(e)


def test_query_all_pages_forward_without_duplicates(monkeypatch):
    """Pagination logic only: Loki itself cannot run here, so its answers come from a
    function that slices one stream the way query_range does (forward, limit)."""
    from vibes_observe.clients import loki as loki_mod

    stream = [(1000 + i // 2, f"line {i}") for i in range(23)]  # pairs share a timestamp
    calls = []

    def fake_get_json(backend, url, path, params, timeout):
        calls.append(params)
        start, limit = int(params["start"]), int(params["limit"])
        assert params["direction"] == "forward"
        rows = [(t, line) for t, line in stream if t >= start][:limit]
        return {"data": {"result": [{"stream": {"service_name": "s"},
                                     "values": [[str(t), line] for t, line in rows]}]}}

    monkeypatch.setattr(loki_mod, "get_json", fake_get_json)
    got = loki_mod.LokiClient("http://loki").query_all('{service_name="s"}', start_ns=0, end_ns=10**6, page=5)
    assert [e.body for e in got] == [line for _, line in stream]
    assert len(calls) > 4

"""`vibes observe cost --by session|user`: reading session summary records from Loki's answer.

No Loki binary exists here (see test_cli_loki.py): the answer follows the documented
query_range "streams" shape with OTLP attributes as structured metadata (dots → underscores,
every value a string). The native file store path runs live in
tests/integration/test_session_summary_live.py."""

from __future__ import annotations

import pytest

from vibes_observe.clients.loki import LokiClient, parse_streams
from vibes_observe.commands.trace_cost import session_summaries
from vibes_sdk import names as n


def _stream(session: str, user: str, cost: str, calls: str, unpriced: str) -> dict:
    return {"stream": {"service_name": "svc", "event_name": "vibes.session.summary",
                       "gen_ai_conversation_id": session, "user_id": user, "vibes_cost_usd": cost,
                       "vibes_session_llm_calls": calls, "vibes_session_unpriced_calls": unpriced,
                       "gen_ai_usage_input_tokens": "1200", "gen_ai_usage_output_tokens": "300"},
            "values": [["1795552917883571200", "vibes.session.summary"]]}


class _RecordedLoki(LokiClient):
    def __init__(self, answer: dict) -> None:
        super().__init__("http://127.0.0.1:9")
        self.answer, self.queries = answer, []

    def query_all(self, logql, *, start_ns, end_ns, page):
        self.queries.append(logql)
        return parse_streams(self.answer)


def test_summaries_from_loki_structured_metadata():
    loki = _RecordedLoki({"status": "success", "data": {"resultType": "streams", "result": [
        _stream("s-1", "alice", "0.0125", "3", "1"), _stream("s-2", "bob", "2.5", "1", "0")]}})
    got = session_summaries(loki, since_ns=0, service="svc", session=None, user="alice")
    assert list(got) == ["s-1"]
    uid, usage = got["s-1"]
    assert uid == "alice"
    assert usage.cost_usd == pytest.approx(0.0125)
    assert (usage.calls, usage.unpriced_calls, usage.priced_calls) == (3, 1, 2)
    assert (usage.input_tokens, usage.output_tokens) == (1200, 300)
    (q,) = loki.queries
    assert q == f'{{service_name="svc"}} | {n.prom_label(n.LOG_EVENT_NAME)}="{n.VIBES_EVENT_SESSION_SUMMARY}"'

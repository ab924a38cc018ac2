"""The VictoriaLogs client against a real VictoriaLogs (the pinned binary, started with the
stack's own flags), fed over its OTLP endpoint with the stack's stream-field header."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource

from vibes_observe.clients.logs_model import LogFilter
from vibes_observe.clients.victorialogs import (VictoriaLogsClient, build_logsql, parse_time_ns,
                                                rfc3339)
from vibes_observe.commands.trace_cost import session_summaries
from vibes_sdk import names as n
from vibes_stack import binaries, config, paths, supervisor
from vibes_stack.components import NativePlacement, victorialogs as vl_component

try:
    from opentelemetry.sdk._logs import LogRecord
except ImportError:  # newer SDKs moved it to the API
    from opentelemetry._logs import LogRecord

T0 = time.time_ns() - 60 * 10**9  # a minute ago: inside the default retention, before "now"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def victorialogs(tmp_path_factory):
    binary, _ = binaries.find("victorialogs")
    if binary is None:
        pytest.fail("no VictoriaLogs binary: run `python -m vibes_stack binaries` (make test does)")
    tmp = tmp_path_factory.mktemp("vl")
    cfg = config.build({"ports": {"victorialogs": _free_port()}})
    plan = vl_component.spec(cfg, NativePlacement(cfg, paths.StateLayout(tmp), {"victorialogs": binary}))
    spec = {"name": plan.name, "argv": plan.argv, "env": plan.env, "cwd": str(tmp), "dirs": plan.dirs,
            "health_url": plan.health_url, "config_hash": plan.config_hash, "run_dir": str(tmp / "run"),
            "log": str(tmp / "vl.log")}
    supervisor.start(spec)
    url = plan.health_url.rsplit("/", 1)[0]
    try:
        _send(url)
        client = VictoriaLogsClient(url)
        deadline = time.monotonic() + 30
        while len(client.query(LogFilter(), start_ns=T0 - 10**9, end_ns=time.time_ns())) < 5:
            assert time.monotonic() < deadline, "records never became searchable"
            time.sleep(0.3)
        yield client
    finally:
        supervisor.stop(spec["run_dir"], plan.name)


def _provider(url: str, service: str) -> LoggerProvider:
    lp = LoggerProvider(resource=Resource.create({n.SERVICE_NAME: service}))
    headers = {"VL-Stream-Fields": ",".join(vl_component.STREAM_FIELDS)}
    lp.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(
        endpoint=url + vl_component.OTLP_PATH, headers=headers)))
    return lp


def _emit(lp: LoggerProvider, ts: int, severity: SeverityNumber, body: str, trace_id: int = 0, **attrs) -> None:
    lp.get_logger("test").emit(LogRecord(timestamp=ts, severity_number=severity, severity_text=severity.name,
                                         body=body, attributes=attrs, trace_id=trace_id, span_id=7 if trace_id else 0,
                                         trace_flags=1 if trace_id else 0))


def _send(url: str) -> None:
    bot, other = _provider(url, "research-bot"), _provider(url, "other-svc")
    ctx = {n.VIBES_SESSION_ID: "sess-a", n.GEN_AI_AGENT_NAME: "researcher"}
    _emit(bot, T0 + 1, SeverityNumber.INFO, "agent started", **ctx)
    _emit(bot, T0 + 2, SeverityNumber.ERROR, "chat gpt-4o failed: RateLimitError", trace_id=0xABC, **ctx)
    _emit(other, T0 + 3, SeverityNumber.WARN, "slow tool web_search", **{n.VIBES_SESSION_ID: "sess-b"})
    _emit(bot, T0 + 4, SeverityNumber.INFO, n.VIBES_EVENT_SESSION_SUMMARY, **{
        **ctx, n.LOG_EVENT_NAME: n.VIBES_EVENT_SESSION_SUMMARY, n.VIBES_USER_ID: "u-1", n.VIBES_COST_USD: 0.0172,
        n.VIBES_SESSION_LLM_CALLS: 4, n.VIBES_SESSION_UNPRICED_CALLS: 1, n.GEN_AI_USAGE_INPUT_TOKENS: 2100,
        n.GEN_AI_USAGE_OUTPUT_TOKENS: 500})
    _emit(other, T0 + 5, SeverityNumber.INFO, n.VIBES_EVENT_SESSION_SUMMARY, **{
        n.VIBES_SESSION_ID: "sess-b", n.LOG_EVENT_NAME: n.VIBES_EVENT_SESSION_SUMMARY, n.VIBES_USER_ID: "u-2",
        n.VIBES_COST_USD: 0.5, n.VIBES_SESSION_LLM_CALLS: 1, n.GEN_AI_USAGE_INPUT_TOKENS: 10})
    bot.shutdown()
    other.shutdown()


def _bodies(client: VictoriaLogsClient, limit: int = 0, start_ns: int = T0, end_ns: int | None = None,
            **flt) -> list[str]:
    entries = client.query(LogFilter(**flt), start_ns=start_ns, end_ns=end_ns or time.time_ns(), limit=limit)
    return [e.body for e in entries]


def test_every_filter_finds_exactly_its_records(victorialogs):
    assert _bodies(victorialogs, service="other-svc") == ["slow tool web_search", n.VIBES_EVENT_SESSION_SUMMARY]
    assert _bodies(victorialogs, session="sess-a") == ["agent started", "chat gpt-4o failed: RateLimitError",
                                                       n.VIBES_EVENT_SESSION_SUMMARY]
    assert _bodies(victorialogs, agent="researcher", level="WARN") == ["chat gpt-4o failed: RateLimitError"]
    assert _bodies(victorialogs, level="WARN") == ["chat gpt-4o failed: RateLimitError", "slow tool web_search"]
    assert _bodies(victorialogs, trace_id=f"{0xABC:032X}") == ["chat gpt-4o failed: RateLimitError"]
    assert _bodies(victorialogs, grep=r"gpt-\d+o|web_") == ["chat gpt-4o failed: RateLimitError",
                                                            "slow tool web_search"]
    assert _bodies(victorialogs, start_ns=T0 + 3, end_ns=T0 + 4) == ["slow tool web_search",
                                                                       n.VIBES_EVENT_SESSION_SUMMARY]


def test_a_record_comes_back_whole(victorialogs):
    [entry] = victorialogs.query(LogFilter(level="ERROR"), start_ns=T0, end_ns=time.time_ns())
    assert (entry.time_ns, entry.level, entry.service) == (T0 + 2, "ERROR", "research-bot")
    assert (entry.trace_id, entry.span_id) == (f"{0xABC:032x}", f"{7:016x}")
    assert entry.session_id == "sess-a" and entry.agent == "researcher"


def test_limit_keeps_the_newest_records_oldest_first(victorialogs):
    assert _bodies(victorialogs, limit=3) == ["slow tool web_search", n.VIBES_EVENT_SESSION_SUMMARY,
                                              n.VIBES_EVENT_SESSION_SUMMARY]


def test_session_summaries_are_aggregated_inside_victorialogs(victorialogs):
    got = session_summaries(victorialogs, since_ns=T0, service=None, session=None, user=None)
    assert sorted(got) == ["sess-a", "sess-b"]
    user, usage = got["sess-a"]
    assert user == "u-1"
    assert (usage.calls, usage.unpriced_calls, usage.input_tokens, usage.output_tokens) == (4, 1, 2100, 500)
    assert usage.cost_usd == pytest.approx(0.0172)
    assert list(session_summaries(victorialogs, since_ns=T0, service=None, session=None, user="u-2")) == ["sess-b"]
    assert list(session_summaries(victorialogs, since_ns=T0, service="research-bot", session=None,
                                  user=None)) == ["sess-a"]


def test_live_tail_yields_a_record_sent_after_it_started(victorialogs):
    got: list[str] = []

    def follow() -> None:
        for entry in victorialogs.tail(LogFilter(service="tail-svc"), start_offset_s=0):
            got.append(entry.body)
            return

    reader = threading.Thread(target=follow, daemon=True)
    reader.start()
    time.sleep(1.5)
    lp = _provider(victorialogs.url, "tail-svc")
    _emit(lp, time.time_ns(), SeverityNumber.INFO, "arrived while tailing")
    lp.shutdown()
    reader.join(timeout=30)
    assert got == ["arrived while tailing"]


def test_query_text_and_time_format():
    flt = LogFilter(service='a"b', session="s", level="ERROR", grep="x+")
    assert build_logsql(flt) == r'"service.name":="a\"b" "gen_ai.conversation.id":="s" severity_number:>=17 _msg:~"x+"'
    assert build_logsql(LogFilter()) == "*"
    assert parse_time_ns(rfc3339(1796008269518226053)) == 1796008269518226053

"""The live native stack for integration tests (contract: docs/CONTRACTS.md, "Live-test fixture").

Started through the SAME code as `make up` (vibes_stack.deploy.prepare + apply, i.e. the
pyinfra deploy), in its own state directory, every port shifted by
$VIBES_TEST_PORT_OFFSET (default 20000), with short scrape/evaluation intervals.
"""
from __future__ import annotations

import copy
import os
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from vibes_stack import config as stack_config
from vibes_stack import deploy, paths, supervisor

COMPONENTS = ("collector", "jaeger", "victorialogs", "prometheus", "alertmanager", "alert-receiver")

#: the CLI tests' known workload (tests/unit/cli/workload.py) is importable as `workload`
CLI_TEST_DIR = Path(__file__).resolve().parents[1] / "unit" / "cli"
if str(CLI_TEST_DIR) not in sys.path:
    sys.path.insert(0, str(CLI_TEST_DIR))


def live_stack_config(offset: int) -> dict[str, Any]:
    """The user-level stack config the live tests deploy."""
    defaults = stack_config.load_defaults()
    return {
        "ports": {k: v + offset for k, v in defaults["ports"].items()},
        "intervals": {"scrape": "2s", "evaluation": "2s"},
    }


class LiveStack:
    def __init__(self, state_dir: Path, user: dict[str, Any]):
        self.state_dir = Path(state_dir)
        self._state = paths.StateLayout(self.state_dir)
        self._user = user
        self._initial_user = copy.deepcopy(user)
        self._prep: deploy.Prepared | None = None
        self.last_result: deploy.DeployResult | None = None

    # --- deploy (the make-up code path)
    def deploy(self, user: dict[str, Any] | None = None) -> deploy.DeployResult:
        user = copy.deepcopy(self._user if user is None else user)
        try:
            prep = deploy.prepare("native", state_dir=self.state_dir, user=user, out=lambda line: None)
        except stack_config.StackConfigError as exc:  # nothing was touched; the stack runs as before
            pytest.fail(f"stack config rejected: {exc}", pytrace=False)
        try:
            self.last_result = deploy.apply(prep, "up")
        except deploy.DeployError as exc:
            pytest.fail(f"the test stack did not come up:\n{exc}", pytrace=False)
        self._prep = prep
        self._user = user
        bad = deploy.wait_all_healthy(prep, timeout=60)
        if bad:
            pytest.fail("not healthy after deploy: " + ", ".join(bad) + "\n"
                        + "\n".join(f"--- {b}:\n{self.log_tail(b)}" for b in bad), pytrace=False)
        return self.last_result

    def redeploy(self, overrides: dict[str, Any]) -> deploy.DeployResult:
        """Deep-merge ``overrides`` into the config, re-render, restart only what changed."""
        return self.deploy(stack_config.deep_merge(self._user, overrides))

    def reset(self) -> deploy.DeployResult:
        """Back to the session's initial config (undoing every redeploy); restarts only what differs."""
        return self.deploy(self._initial_user)

    def down(self) -> None:
        if self._prep is not None:
            deploy.apply(self._prep, "down")
        for pid_file in self._state.run.glob("*.pid"):  # belt and braces: nothing survives the session
            supervisor.stop(self._state.run, pid_file.stem)

    # --- contract attributes
    @property
    def config(self) -> stack_config.StackConfig:
        assert self._prep is not None
        return self._prep.cfg

    @property
    def ports(self) -> dict[str, int]:  # by key, as the tests name them (``stack.ports["prometheus"]``)
        return self.config.ports.model_dump()

    def _url(self, port_key: str) -> str:
        return f"http://127.0.0.1:{self.ports[port_key]}"

    @property
    def otlp_http_endpoint(self) -> str:
        return self._url("collector_otlp_http")

    @property
    def otlp_grpc_endpoint(self) -> str:
        return self._url("collector_otlp_grpc")

    @property
    def prometheus_url(self) -> str:
        return self._url("prometheus")

    @property
    def jaeger_url(self) -> str:
        return self._url("jaeger_query")

    @property
    def alertmanager_url(self) -> str:
        return self._url("alertmanager")

    @property
    def alert_receiver_url(self) -> str:
        return self._url("alert_receiver")

    @property
    def alert_receiver_file(self) -> Path:
        return self._state.data / "alerts" / "alerts.jsonl"

    @property
    def victorialogs_url(self) -> str:
        return self._url("victorialogs")

    @property
    def victorialogs_data(self) -> Path:
        return self._state.data / "victorialogs"

    @property
    def log_dir(self) -> Path:  # the old native file store (what `vibes observe logs import` reads)
        return self._state.log_store

    @property
    def collector_metrics_url(self) -> str:
        return self._url("collector_prometheus")

    # --- process control (the supervisor the deploy uses)
    def _spec(self, component: str) -> dict[str, Any]:
        return supervisor.load_spec(self._state.run / f"{component}.json")

    def stop(self, component: str) -> None:
        supervisor.stop(self._state.run, component)

    def kill(self, component: str) -> None:
        """SIGKILL: a crash, not a clean shutdown."""
        supervisor.kill(self._state.run, component)

    def start(self, component: str) -> None:
        try:
            supervisor.start(self._spec(component))
        except supervisor.ComponentFailed as exc:
            pytest.fail(str(exc), pytrace=False)

    def pid(self, component: str) -> int | None:
        return supervisor.read_pid(self._state.run, component)

    def healthy(self, component: str) -> bool:
        return supervisor.healthy(self._spec(component)["health_url"])

    def log_tail(self, component: str, lines: int = 50) -> str:
        return supervisor.log_tail(self._state.component_log(component), lines)

    def reload_prometheus(self) -> None:
        req = urllib.request.Request(self.prometheus_url + "/-/reload", method="POST")
        with urllib.request.urlopen(req, timeout=10) as resp:
            assert resp.status == 200, f"prometheus reload answered {resp.status}"


# Several test dirs have a conftest.py, and each import replaces sys.modules["conftest"]: while
# an integration test runs, `from conftest import poll` (even inside a test) means THIS file.
_displaced: list = []
_THIS_MODULE = sys.modules[__name__]  # captured now: the name "conftest" is taken over later


def _claim_conftest_name() -> None:
    _displaced.append(sys.modules.get("conftest"))
    sys.modules["conftest"] = _THIS_MODULE


def _release_conftest_name() -> None:
    previous = _displaced.pop() if _displaced else None
    if previous is not None:
        sys.modules["conftest"] = previous


def pytest_collectstart(collector):  # test modules here import from conftest at collection
    if isinstance(collector, pytest.Module):
        _claim_conftest_name()


def pytest_collectreport(report):
    if report.nodeid.endswith(".py"):
        _release_conftest_name()


def pytest_runtest_setup(item):
    _claim_conftest_name()


def pytest_runtest_teardown(item, nextitem):
    _release_conftest_name()


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> LiveStack:
    offset = int(os.environ.get("VIBES_TEST_PORT_OFFSET", "20000"))
    live = LiveStack(tmp_path_factory.mktemp("vibes-stack"), live_stack_config(offset))
    try:
        live.deploy()
        yield live
    finally:
        live.down()


# --- a real OTLP client (the bare OpenTelemetry SDK, not vibes_sdk: these tests stay independent)
class OtlpClient:
    """Bare OpenTelemetry SDK providers exporting OTLP/HTTP to the test stack's collector."""

    def __init__(self, endpoint: str, service: str):
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk._logs import LoggerProvider
        from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        self.service = service
        resource = Resource.create({"service.name": service})
        self.tracer_provider = TracerProvider(resource=resource)
        self.tracer_provider.add_span_processor(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=f"{endpoint}/v1/traces", timeout=10), schedule_delay_millis=200))
        self.metric_reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(endpoint=f"{endpoint}/v1/metrics", timeout=10), export_interval_millis=1000)
        self.meter_provider = MeterProvider(resource=resource, metric_readers=[self.metric_reader])
        self.logger_provider = LoggerProvider(resource=resource)
        self.logger_provider.add_log_record_processor(BatchLogRecordProcessor(
            OTLPLogExporter(endpoint=f"{endpoint}/v1/logs", timeout=10), schedule_delay_millis=200))
        self.tracer = self.tracer_provider.get_tracer("vibes-stack-tests")
        self.meter = self.meter_provider.get_meter("vibes-stack-tests")

    def span(self, name: str, **attributes) -> str:
        """Emit one span; returns its trace id (hex)."""
        with self.tracer.start_as_current_span(name, attributes=attributes) as span:
            return format(span.get_span_context().trace_id, "032x")

    def log(self, body: str, **attributes) -> None:
        from opentelemetry._logs import SeverityNumber
        self.logger_provider.get_logger("vibes-stack-tests").emit(
            body=body, severity_number=SeverityNumber.INFO, severity_text="INFO", attributes=attributes)

    def flush(self) -> None:
        assert self.tracer_provider.force_flush(15000), "span export did not flush"
        assert self.logger_provider.force_flush(15000), "log export did not flush"
        self.metric_reader.force_flush(15000)

    def shutdown(self) -> None:
        self.tracer_provider.shutdown()
        self.meter_provider.shutdown()
        self.logger_provider.shutdown()


@pytest.fixture
def otlp_client(stack, request):
    import uuid
    client = OtlpClient(stack.otlp_http_endpoint, f"stack-test-{request.node.name[:40]}-{uuid.uuid4().hex[:6]}")
    yield client
    client.shutdown()


def live_sdk_settings(stack) -> dict[str, Any]:
    """vibes_sdk.init() settings for live tests: the test stack's collector, metrics every second,
    spans and logs flushed every 0.2 s, no system metrics (they would only add noise)."""
    return {"endpoint": stack.otlp_http_endpoint, "metric_export_interval": 1,
            "flush_interval": 0.2, "system_metrics": False}


def http_json(url: str, timeout: float = 10) -> Any:
    import json
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def poll(check, *, timeout: float = 60, interval: float = 1.0, what: str = "condition"):
    """Call ``check`` until it returns a truthy value; fail with ``what`` after ``timeout``."""
    import time
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except Exception as exc:  # the backend may be restarting
            last_exc = exc
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:.0f}s waiting for {what}" + (f" (last error: {last_exc})" if last_exc else ""),
                pytrace=False)


@pytest.fixture(scope="module")
def sent(stack):
    """A fresh known CLI workload per test module, landed in Jaeger, Prometheus and the log store."""
    import workload
    work = workload.send(workload.make_workload(), stack.otlp_http_endpoint)
    workload.wait_until_landed(work, stack)
    return work


@pytest.fixture(scope="session")
def jaeger_trace_ids(stack):
    """Trace ids Jaeger has stored for a service (via its HTTP API)."""
    import urllib.parse

    def get(service: str, limit: int = 2000) -> set[str]:
        q = urllib.parse.urlencode({"service": service, "limit": limit, "lookback": "1h"})
        data = http_json(f"{stack.jaeger_url}/api/traces?{q}")
        return {t["traceID"].rjust(32, "0") for t in data.get("data") or []}
    return get


@pytest.fixture(scope="session")
def prom_query(stack):
    import urllib.parse

    def query(expr: str) -> list[dict]:
        data = http_json(f"{stack.prometheus_url}/api/v1/query?" + urllib.parse.urlencode({"query": expr}))
        assert data["status"] == "success", data
        return data["data"]["result"]
    return query

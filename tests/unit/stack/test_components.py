"""A component is one module: registered, it appears in the native plan, the deploy document and the
compose file, in dependency order; nothing else names it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from vibes_stack import binaries, components, config, deploy, paths
from vibes_stack.compose import render_compose
from vibes_stack.render import render_native

sys.path.insert(0, str(Path(__file__).parent / "noop_component"))
import noop  # noqa: E402  (a component module outside the package, as a new one would be written)

BINARIES = {"collector": "/bin/otelcol", "jaeger": "/bin/jaeger", "prometheus": "/bin/prometheus",
            "alertmanager": "/bin/alertmanager", "victorialogs": "/bin/victoria-logs", "loki": None,
            "grafana": None, "noop": "/opt/noop/noop-binary"}


@pytest.fixture
def with_noop(monkeypatch):
    monkeypatch.setattr(components, "ALL", components.ordered([noop.COMPONENT, *components.ALL]))


def test_the_registry_starts_dependencies_first():
    names = [c.name for c in components.ALL]
    for c in components.ALL:
        for dep in c.after:
            assert names.index(dep) < names.index(c.name), (c.name, dep)


def test_a_new_component_module_is_in_the_native_plan_and_the_deploy_document(with_noop, tmp_path):
    cfg = config.build({})
    plan = render_native(cfg, tmp_path, BINARIES)
    order = [c.name for c in plan.ordered()]
    assert order.index("noop") > order.index("collector")  # declared: after the collector
    comp = plan.components["noop"]
    conf = str(tmp_path / "config" / "noop" / "noop.conf")
    assert comp.argv == ["/opt/noop/noop-binary", f"--config={conf}", "--listen=127.0.0.1:1"]
    doc = deploy.document(deploy.Prepared("native", cfg, plan, paths.StateLayout(tmp_path)), "up")
    entry = next(c for c in doc["components"] if c["name"] == "noop")
    assert entry["files"] == {conf: "on = true\n"} and entry["config_hash"] == comp.config_hash
    assert entry["health_url"] == "http://127.0.0.1:1/ready"


def test_a_new_component_module_is_a_compose_service(with_noop, tmp_path):
    plan = render_compose(config.build({"containers": {"mem_limits": {"noop": "32m"}}}), tmp_path)
    service = yaml.safe_load(plan.compose_text)["services"]["noop"]
    assert service["command"] == ["--config=/etc/vibes/noop.conf", "--listen=0.0.0.0:1"]
    assert service["ports"] == ["127.0.0.1:1:1"] and service["mem_limit"] == "32m"
    assert f"{tmp_path / 'config' / 'noop'}:/etc/vibes:ro" in service["volumes"]
    assert plan.compose_doc("up")["service_hashes"]["noop"] == service["labels"]["vibes.config-hash"]


def test_its_executable_names_and_binary_path_key_come_from_its_module(with_noop):
    assert config.build({"binaries": {"noop": "/opt/noop/noop-binary"}}).binaries.explicit() == {
        "noop": "/opt/noop/noop-binary"}
    assert binaries.path_names()["noop"] == ("noop-binary",)
    assert "noop" not in binaries.native_components(optional=True)  # required: `up` resolves it


@pytest.mark.parametrize("user, message", [
    ({"exports": {"traces": ["jaeger", {"type": "otlp", "endpoint": ""}]}},
     "exports.traces[1].endpoint: an otlp target needs an endpoint"),
    ({"exports": {"metrics": ["prometheus", {"type": "otlp", "endpoint": "x", "headers": {"h": 1}}]}},
     "exports.metrics[1].headers.h: 1 must be a string"),
    ({"exports": {"logs": ["loki", {"type": "console", "verbosity": "loud"}]}},
     "exports.logs[1].verbosity: 'loud' must be basic, normal or detailed"),
    ({"exports": {"traces": ["jaeger", "jaeger"]}}, "exports.traces: target 'jaeger' listed twice"),
    ({"collector": {"retry_max_elapsed": "soon"}}, "collector.retry_max_elapsed: 'soon' is not a duration"),
    ({"collector": 5}, "collector: must be a mapping, got 5"),
    ({"containers": {"mem_limits": {"tempo": "1g"}}}, "containers.mem_limits.tempo: unknown component"),
    ({"containers": {"mem_limits": {"jaeger": "lots"}}}, "containers.mem_limits.jaeger: 'lots' must be a memory size"),
])
def test_errors_name_the_key_path(user, message):
    with pytest.raises(config.StackConfigError) as err:
        config.build(user)
    assert message in str(err.value)


def test_every_error_is_reported_at_once():
    with pytest.raises(config.StackConfigError) as err:
        config.build({"ports": {"grafana": 0}, "retention": {"logs": "forever"}})
    assert "ports.grafana: 0 is not a valid port" in str(err.value)
    assert "retention.logs: 'forever' is not a duration" in str(err.value)


def test_durations_are_parsed_once_and_keep_their_text():
    cfg = config.build({"retention": {"logs": "3d"}, "collector": {"retry_max_elapsed": "0s"}})
    assert cfg.retention.logs == "3d" and cfg.retention.logs.seconds == 3 * 86400
    assert cfg.retention.logs.go == "72h"
    assert cfg.collector.retry_max_elapsed.seconds == 0  # zero allowed here: retry forever

"""Bad stack configs fail before anything is touched, naming the key and the value."""
from __future__ import annotations

import pytest

from vibes_stack import config
from vibes_stack.config import StackConfigError


@pytest.mark.parametrize("user, message", [
    ({"ports": {"prometheus": 70000}}, "ports.prometheus: 70000 is not a valid port"),
    ({"ports": {"prometheus": 0}}, "ports.prometheus: 0 is not a valid port"),
    ({"ports": {"prometheus": "9090"}}, "ports.prometheus: '9090' is not a valid port"),
    ({"ports": {"prometheus": 4317}}, "ports.prometheus: 4317 is already used by ports.collector_otlp_grpc"),
    ({"ports": {"promethus": 9090}}, "ports.promethus: unknown key"),
    ({"retension": {}}, "retension: unknown key"),
    ({"retention": {"traces": "7 days"}}, "retention.traces: '7 days' is not a duration"),
    ({"retention": {"metrics": "0d"}}, "retention.metrics: '0d' must be longer than zero"),
    ({"intervals": {"scrape": 15}}, "intervals.scrape: 15 is not a duration"),
    ({"sampling": {"traces_percent": 150}}, "sampling.traces_percent: 150 must be a number from 0 to 100"),
    ({"bind_address": "localhost:1"}, "bind_address: 'localhost:1' is not an IP address"),
    ({"collector": {"memory_limit_mib": -1}}, "collector.memory_limit_mib: -1 must be a positive integer"),
    ({"collector": {"bearer_token_auth": "yes"}}, "collector.bearer_token_auth: 'yes' must be true or false"),
    ({"exports": {"traces": ["jaegr"]}}, "exports.traces[0]: unknown export target 'jaegr' for traces"),
    ({"exports": {"metrics": ["jaeger"]}}, "exports.metrics[0]: unknown export target 'jaeger' for metrics"),
    ({"exports": {"spans": ["jaeger"]}}, "exports.spans: unknown signal"),
    ({"exports": {"traces": []}}, "exports.traces: [] must be a non-empty list"),
    ({"exports": {"traces": ["jaeger", "zipkin"]}}, "exports.traces[1]: export target 'zipkin' is not available"),
    ({"exports": {"logs": [{"type": "otlp"}]}}, "exports.logs[0].endpoint: an otlp target needs an endpoint"),
    ({"exports": {"logs": [{"type": "otlp", "endpoint": "x", "protocol": "udp"}]}},
     "exports.logs[0].protocol: 'udp' must be grpc or http"),
    ({"exports": {"logs": [{"type": "otlp", "endpoint": "x", "headers_env": {"a": "not a var"}}]}},
     "exports.logs[0].headers_env.a: 'not a var' must be an environment variable name"),
    ({"exports": {"traces": [{"type": "datadog", "api_key": "secret"}]}},
     "exports.traces[0].api_key: unknown key for a datadog target"),
    ({"exports": {"traces": [{"endpoint": "x"}]}}, "exports.traces[0].type: missing"),
    ({"binaries": {"tempo": "/bin/true"}}, "binaries.tempo: unknown component"),
    ({"victorialogs": {"memory_limit_mib": 0}}, "victorialogs.memory_limit_mib: 0 must be a positive integer"),
    ({"loki": {"mode": "scalable"}}, "loki.mode: 'scalable' must be single or simple-scalable"),
    ({"loki": {"replicas": {"read": 0}}}, "loki.replicas.read: 0 must be a positive integer"),
    ({"loki": {"replicas": {"writers": 2}}}, "loki.replicas.writers: unknown key"),
    ({"loki": {"mode": "simple-scalable", "replicas": {"write": 3}}, "ports": {"grafana": 3112}},
     "loki.replicas.write: replica 3 would publish port 3112 (ports.loki_write + 2), already ports.grafana"),
])
def test_bad_config_names_the_key(user, message):
    with pytest.raises(StackConfigError) as err:
        config.build(user)
    assert message in str(err.value)


def test_defaults_are_valid_and_secure():
    cfg = config.build({})
    assert cfg.bind_address == "127.0.0.1"
    assert cfg.collector.bearer_token_auth is False  # opt-in
    assert [t.kind for t in cfg.exports.traces] == ["jaeger"]


def test_user_values_merge_over_defaults():
    cfg = config.build({"ports": {"prometheus": 19090}, "retention": {"traces": "48h"}})
    assert cfg.ports.prometheus == 19090
    assert cfg.ports.collector_otlp_grpc == 4317      # untouched default kept
    assert cfg.retention.model_dump() == {**config.load_defaults()["retention"], "traces": "48h"}


def test_unreadable_user_file_names_the_file(tmp_path):
    bad = tmp_path / "stack.yaml"
    bad.write_text("ports: [1, 2\n")
    with pytest.raises(StackConfigError, match="stack.yaml: not valid YAML"):
        config.read_user_config(bad)
    with pytest.raises(StackConfigError, match="not found"):
        config.read_user_config(tmp_path / "missing.yaml")


def test_cli_rejects_bad_config_before_touching_anything(tmp_path):
    import subprocess
    import sys
    cfg = tmp_path / "stack.yaml"
    cfg.write_text("ports:\n  prometheus: 70000\n")
    state = tmp_path / "state"
    proc = subprocess.run([sys.executable, "-m", "vibes_stack", "--mode", "native", "--config", str(cfg),
                           "--state-dir", str(state), "up"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "ports.prometheus: 70000 is not a valid port" in proc.stderr
    assert not state.exists()


def test_versions_are_host_data_not_a_user_setting():
    import runpy

    from vibes_stack import paths
    ns = runpy.run_path(str(paths.GROUP_DATA_FILE))
    assert ns["versions"]["collector"]["version"]  # group data carries the pins from versions.yaml
    with pytest.raises(StackConfigError, match="versions: unknown key"):
        config.build({"versions": {"collector": {"version": "0.1.0"}}})


def test_environment_name_is_checked():
    assert config.build({"environment": "staging"}).environment == "staging"
    with pytest.raises(StackConfigError, match="environment: 'a b' must be a short name"):
        config.build({"environment": "a b"})

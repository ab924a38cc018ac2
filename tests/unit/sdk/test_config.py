"""ObserveConfig: precedence kwargs > env > file > defaults, and errors that name the culprit."""

from __future__ import annotations

import pytest

from vibes_sdk.config import DEFAULT_ENDPOINT, ConfigError, ObserveConfig, load_config


def write(tmp_path, text):
    path = tmp_path / "vibes.yaml"
    path.write_text(text)
    return str(path)


def test_defaults_point_at_the_local_stack():
    cfg = load_config(env={})
    assert cfg == ObserveConfig()
    assert cfg.endpoint == "http://127.0.0.1:4318" == DEFAULT_ENDPOINT
    assert cfg.traces_exporter == cfg.metrics_exporter == cfg.logs_exporter == ("otlp",)
    assert cfg.capture_content is False
    assert cfg.system_metrics is True


def test_precedence_kwargs_over_env_over_file(tmp_path):
    path = write(tmp_path, "service_name: from-file\nlog_level: debug\nsampler_arg: 0.25\n"
                           "exporters:\n  traces: [console]\n  metrics: [otlp, console]\n")
    env = {"VIBES_SERVICE_NAME": "from-env", "VIBES_LOG_LEVEL": "error"}
    cfg = load_config(path, env=env, service_name="from-kwargs")
    assert cfg.service_name == "from-kwargs"
    assert cfg.log_level == "ERROR"  # env beats file
    assert cfg.sampler_arg == 0.25  # file beats default
    assert cfg.traces_exporter == ("console",)
    assert cfg.metrics_exporter == ("otlp", "console")
    assert cfg.logs_exporter == ("otlp",)  # default kept


def test_config_file_from_env_variable(tmp_path):
    path = write(tmp_path, "vibes_sdk:\n  service_name: nested\n")
    assert load_config(env={"VIBES_CONFIG_FILE": path}).service_name == "nested"


def test_standard_otel_variables():
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "https://collector.example:4318/",
        "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20abc,x-team=ml",
        "OTEL_SERVICE_NAME": "svc",
        "OTEL_RESOURCE_ATTRIBUTES": "deployment.environment.name=prod,team=ai",
        "OTEL_SDK_DISABLED": "true",
        "OTEL_TRACES_SAMPLER": "parentbased_traceidratio",
        "OTEL_TRACES_SAMPLER_ARG": "0.1",
    }
    cfg = load_config(env=env)
    assert cfg.endpoint == "https://collector.example:4318"
    assert cfg.headers == {"authorization": "Bearer abc", "x-team": "ml"}
    assert cfg.service_name == "svc"
    assert cfg.resource_attributes == {"deployment.environment.name": "prod", "team": "ai"}
    assert cfg.disabled is True
    assert (cfg.sampler, cfg.sampler_arg) == ("parentbased_traceidratio", 0.1)


def test_vibes_env_beats_otel_env():
    cfg = load_config(env={"OTEL_SERVICE_NAME": "otel", "VIBES_SERVICE_NAME": "vibes"})
    assert cfg.service_name == "vibes"


@pytest.mark.parametrize("kwargs, key, value", [
    ({"sampler": "sometimes"}, "sampler", "sometimes"),
    ({"sampler_arg": 1.5}, "sampler_arg", "1.5"),
    ({"traces_exporter": "otlp,jaeger"}, "traces_exporter", "otlp,jaeger"),
    ({"log_level": "loud"}, "log_level", "loud"),
    ({"endpoint": "127.0.0.1:4318"}, "endpoint", "127.0.0.1:4318"),
    ({"max_queue_size": 0}, "max_queue_size", "0"),
    ({"export_timeout": "soon"}, "export_timeout", "soon"),
    ({"capture_content": "maybe"}, "capture_content", "maybe"),
    ({"metrics_exporter": ["none", "otlp"]}, "metrics_exporter", "none"),
])
def test_bad_kwargs_name_key_and_value(kwargs, key, value):
    with pytest.raises(ConfigError) as err:
        load_config(env={}, **kwargs)
    assert key in str(err.value) and value in str(err.value)
    assert "keyword argument" in str(err.value)


def test_bad_env_names_the_variable():
    with pytest.raises(ConfigError, match=r"sampler_arg='two' \(from env OTEL_TRACES_SAMPLER_ARG\)"):
        load_config(env={"OTEL_TRACES_SAMPLER_ARG": "two"})


def test_bad_file_values_name_the_file(tmp_path):
    path = write(tmp_path, "metric_export_interval: -3\n")
    with pytest.raises(ConfigError, match=r"metric_export_interval=-3 \(from file .*vibes.yaml\)"):
        load_config(path, env={})
    path = write(tmp_path, "servce_name: typo\n")
    with pytest.raises(ConfigError, match="servce_name='typo'.*unknown config key"):
        load_config(path, env={})
    path = write(tmp_path, "exporters:\n  spans: [otlp]\n")
    with pytest.raises(ConfigError, match="exporters.spans"):
        load_config(path, env={})


def test_unreadable_and_invalid_files(tmp_path):
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(str(tmp_path / "missing.yaml"), env={})
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "a: [unclosed\n"), env={})
    with pytest.raises(ConfigError, match="top level must be a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"), env={})


def test_unknown_kwarg_is_rejected():
    with pytest.raises(ConfigError, match="colour='red'.*unknown config key"):
        load_config(env={}, colour="red")


def test_init_fails_fast_on_bad_config():
    import vibes_sdk
    with pytest.raises(ConfigError, match="sampler"):
        vibes_sdk.init(sampler="nope")
    assert not vibes_sdk.enabled()


def test_explicit_config_object_is_validated_too():
    import vibes_sdk
    with pytest.raises(ConfigError, match="sampler='sometimes'"):
        vibes_sdk.init(ObserveConfig(sampler="sometimes"))
    assert not vibes_sdk.enabled()


# ------------------------------------------------ per-signal OTLP variables (OTel spec)
def test_per_signal_endpoints_are_used_as_is_and_beat_the_generic_one():
    from vibes_sdk.config import signal_endpoint
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://generic.example:4318/",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "https://traces.example/custom/path",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://logs.example:9000/",
    }
    cfg = load_config(env=env)
    assert signal_endpoint(cfg, "traces") == "https://traces.example/custom/path"  # no /v1/traces appended
    assert signal_endpoint(cfg, "logs") == "http://logs.example:9000/"  # not even the slash touched
    assert signal_endpoint(cfg, "metrics") == "http://generic.example:4318/v1/metrics"  # unset: generic + path


def test_per_signal_headers_replace_the_generic_ones_for_that_signal_only():
    from vibes_sdk.config import signal_headers
    env = {
        "OTEL_EXPORTER_OTLP_HEADERS": "authorization=Bearer%20generic,x-team=ml",
        "OTEL_EXPORTER_OTLP_METRICS_HEADERS": "authorization=Bearer%20metrics",
        "OTEL_EXPORTER_OTLP_LOGS_HEADERS": "",  # set but empty: logs send no headers
    }
    cfg = load_config(env=env)
    assert signal_headers(cfg, "metrics") == {"authorization": "Bearer metrics"}
    assert signal_headers(cfg, "traces") == {"authorization": "Bearer generic", "x-team": "ml"}
    assert signal_headers(cfg, "logs") == {}


def test_per_signal_precedence_kwargs_over_vibes_env_over_otel_env():
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://otel.example/t",
           "VIBES_TRACES_ENDPOINT": "http://vibes.example/t"}
    assert load_config(env=env).traces_endpoint == "http://vibes.example/t"
    assert load_config(env=env, traces_endpoint="http://kw.example/t").traces_endpoint == "http://kw.example/t"


@pytest.mark.parametrize("var, value, key", [
    ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "collector:4318/v1/traces", "traces_endpoint"),
    ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "ftp://collector/v1/metrics", "metrics_endpoint"),
    ("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT", "http://", "logs_endpoint"),
    ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "authorization", "traces_headers"),
    ("OTEL_EXPORTER_OTLP_METRICS_HEADERS", "=nokey", "metrics_headers"),
    ("OTEL_EXPORTER_OTLP_LOGS_HEADERS", "a=b,broken", "logs_headers"),
])
def test_bad_per_signal_values_fail_at_init_naming_the_variable(var, value, key):
    import vibes_sdk
    with pytest.raises(ConfigError) as err:
        load_config(env={var: value})
    assert f"(from env {var})" in str(err.value) and key in str(err.value)
    if key.endswith("headers"):  # header values hold credentials: the message never shows them
        assert value not in str(err.value)
    else:
        assert repr(value) in str(err.value)
    vibes_sdk.shutdown(5)
    with pytest.raises(ConfigError, match=var):  # init() reads the real environment and fails fast
        import os
        old = os.environ.get(var)
        os.environ[var] = value
        try:
            vibes_sdk.init(traces_exporter="none", metrics_exporter="none", logs_exporter="none",
                           system_metrics=False)
        finally:
            if old is None:
                del os.environ[var]
            else:
                os.environ[var] = old
    vibes_sdk.shutdown(5)


def test_exporters_send_to_the_per_signal_urls_with_their_headers():
    """Real OTLP/HTTP exporters against local endpoints: each signal lands where its variables say."""
    import logging

    import vibes_sdk
    from vibes_sdk._internal import runtime

    from .otlp_sink import OtlpSink

    with OtlpSink() as generic, OtlpSink() as traces:
        env = {
            "OTEL_EXPORTER_OTLP_ENDPOINT": generic.endpoint,
            "OTEL_EXPORTER_OTLP_HEADERS": "x-auth=generic",
            "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": traces.endpoint + "/custom/spans",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS": "x-auth=traces%20only",
        }
        vibes_sdk.shutdown(5)
        cfg = load_config(env=env, service_name="per-signal", system_metrics=False,
                          flush_interval=0.05, metric_export_interval=0.2, export_timeout=2)
        runtime.start(cfg)
        try:
            with vibes_sdk.llm_call(model="gpt-4o", provider="openai") as call:
                call.record_usage(10, 5)
            logging.getLogger("per-signal-test").warning("a log record for the logs exporter")
            assert vibes_sdk.flush(5)
        finally:
            vibes_sdk.shutdown(5)
        assert [p for p, _ in traces.request_headers] and {p for p, _ in traces.request_headers} == {"/custom/spans"}
        assert all(h.get("x-auth") == "traces only" for _, h in traces.request_headers)
        generic_paths = {p for p, _ in generic.request_headers}
        assert generic_paths == {"/v1/metrics", "/v1/logs"}, generic_paths
        assert all(h.get("x-auth") == "generic" for _, h in generic.request_headers)

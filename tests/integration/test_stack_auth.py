"""Optional OTLP bearer-token auth: the real collector, rendered with auth on, refuses requests
without the generated token and accepts them with it."""
from __future__ import annotations

import os
import secrets
import socket
import urllib.error
import urllib.request

import pytest

from vibes_stack import binaries, config, supervisor
from vibes_stack.render import render_native


def _free_ports(n: int) -> list[int]:
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def _post(url: str, token: str | None) -> int:
    req = urllib.request.Request(url, data=b"{}", method="POST", headers={"Content-Type": "application/json"})
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as err:
        return err.code


def test_bearer_token_auth_guards_the_otlp_receiver(tmp_path):
    otelcol, _ = binaries.find("collector")
    assert otelcol, "collector binary missing: run `python -m vibes_stack binaries`"
    grpc, http, health, own, prom = _free_ports(5)
    cfg = config.build({"ports": {"collector_otlp_grpc": grpc, "collector_otlp_http": http,
                                  "collector_health": health, "collector_metrics": own,
                                  "collector_prometheus": prom},
                        "collector": {"bearer_token_auth": True}})
    state = tmp_path / "state"
    plan = render_native(cfg, state, {"collector": otelcol, "jaeger": "/bin/false", "prometheus": "/bin/false",
                                      "alertmanager": "/bin/false", "victorialogs": "/bin/false", "loki": None,
                                      "grafana": None})
    col = plan.components["collector"]
    for path, text in col.files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as fh:
            fh.write(text)
    token = secrets.token_urlsafe(24)
    (state / "secrets").mkdir(parents=True)
    token_file = state / "secrets" / "otlp_token"
    token_file.write_text(token)
    token_file.chmod(0o600)
    spec = {"name": "collector", "argv": col.argv, "env": {}, "cwd": str(state), "dirs": col.dirs,
            "health_url": col.health_url, "config_hash": col.config_hash, "run_dir": str(state / "run"),
            "log": str(state / "logs" / "collector.log")}
    try:
        supervisor.start(spec)
        url = f"http://127.0.0.1:{http}/v1/logs"
        assert _post(url, None) == 401
        assert _post(url, "not-the-token") == 401
        assert _post(url, token) == 200
    except supervisor.ComponentFailed as exc:
        pytest.fail(str(exc), pytrace=False)
    finally:
        supervisor.stop(state / "run", "collector")

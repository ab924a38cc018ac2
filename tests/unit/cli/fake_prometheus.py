"""A local stand-in for Prometheus's /-/reload that records each call (the live tests
use a real Prometheus)."""

import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from vibes_observe.clients.prometheus import PrometheusClient


class Reload(BaseHTTPRequestHandler):
    status = 200
    calls: list[str] = []

    def do_POST(self):  # noqa: N802
        type(self).calls.append(self.path)
        self.send_response(type(self).status)
        self.end_headers()
        self.wfile.write(b"reload answer")

    def log_message(self, *args):
        pass


@pytest.fixture
def prom():
    Reload.calls = []
    Reload.status = 200
    server = HTTPServer(("127.0.0.1", 0), Reload)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield PrometheusClient(f"http://127.0.0.1:{server.server_port}")
    server.shutdown()

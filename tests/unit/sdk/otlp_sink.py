"""A local HTTP endpoint standing in for a collector: records requests, can be slow or fail."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class OtlpSink:
    def __init__(self, status: int = 200, delay: float = 0.0, hold: threading.Event | None = None) -> None:
        self.status = status
        self.delay = delay
        self.hold = hold  # when given, every request is answered only once it is set
        self.held = 0  # requests waiting on `hold` right now
        self._held_lock = threading.Lock()
        self.requests: list[tuple[str, int]] = []  # (path, body bytes)
        self.request_headers: list[tuple[str, dict[str, str]]] = []  # (path, headers, lower-case names)
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                sink.requests.append((self.path, len(body)))
                sink.request_headers.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                if sink.delay:
                    time.sleep(sink.delay)
                if sink.hold is not None:
                    with sink._held_lock:
                        sink.held += 1
                    sink.hold.wait(30)
                    with sink._held_lock:
                        sink.held -= 1
                self.send_response(sink.status)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def paths(self) -> list[str]:
        return [p for p, _ in self.requests]

    def __enter__(self) -> OtlpSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound then released)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

"""Real notification endpoints for the alerting live tests: an HTTP recorder (webhook and
Slack's incoming-webhook API stand-in) and an SMTP server (aiosmtpd)."""
from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HttpRecorder:
    """Records every POST (path, headers, JSON body) and answers 200 like Slack/webhooks do."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"_raw": body.decode(errors="replace")}
                with recorder._lock:
                    recorder.requests.append({"path": self.path, "headers": dict(self.headers), "json": payload})
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.requests)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpRecorder:
    """A real SMTP server (aiosmtpd) keeping every message it accepts."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        self._lock = threading.Lock()
        recorder = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                msg = message_from_bytes(envelope.content, policy=policy.default)
                with recorder._lock:
                    recorder.messages.append({"from": envelope.mail_from, "to": list(envelope.rcpt_tos),
                                              "subject": str(msg["Subject"]), "body": _text(msg)})
                return "250 Message accepted for delivery"

        self.port = free_port()
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def snapshot(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages)

    def close(self) -> None:
        self._controller.stop()


def _text(msg: Any) -> str:
    parts = [msg] if not msg.is_multipart() else list(msg.walk())
    out = []
    for part in parts:
        if part.get_content_maintype() == "text":
            out.append(part.get_content())
    return "\n".join(out)

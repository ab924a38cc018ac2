"""A local stand-in for the Anthropic Messages API (an external model provider: the one mock
we allow). ``POST /v1/messages``, plain and ``stream: true`` (server-sent events: usage in
``message_start`` and the final ``message_delta``). Like the real API, ``input_tokens``
EXCLUDES the cached part (``cache_read_input_tokens``, ``cache_creation_input_tokens``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

UNCACHED_INPUT, OUTPUT, CACHE_READ, CACHE_WRITE = 100, 300, 400, 60
MODEL = "claude-sonnet-4-5-20250929"


def usage() -> dict[str, Any]:
    return {"input_tokens": UNCACHED_INPUT, "output_tokens": OUTPUT,
            "cache_read_input_tokens": CACHE_READ, "cache_creation_input_tokens": CACHE_WRITE}


class _Handler(BaseHTTPRequestHandler):
    server: "FakeAnthropic"

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.server.requests.append({"path": self.path, "body": body})
        message = {"id": "msg_fake", "type": "message", "role": "assistant", "model": MODEL,
                   "content": [{"type": "text", "text": "hello"}], "stop_reason": "end_turn",
                   "stop_sequence": None, "usage": usage()}
        if not body.get("stream"):
            data = json.dumps(message).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        start = {**message, "content": [], "stop_reason": None, "usage": {**usage(), "output_tokens": 1}}
        events = [("message_start", {"type": "message_start", "message": start}),
                  ("content_block_start", {"type": "content_block_start", "index": 0,
                                           "content_block": {"type": "text", "text": ""}}),
                  ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                           "delta": {"type": "text_delta", "text": "hello"}}),
                  ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                  ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn",
                                                                        "stop_sequence": None},
                                     "usage": {"output_tokens": OUTPUT}}),
                  ("message_stop", {"type": "message_stop"})]
        for name, data in events:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def log_message(self, *args: Any) -> None:
        pass


class FakeAnthropic(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()

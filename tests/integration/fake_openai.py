"""A local stand-in for the OpenAI API (the one mock we allow: an external model provider).

Speaks ``POST /v1/chat/completions`` (plain and ``stream: true`` as server-sent events,
usage in the last chunk when ``stream_options.include_usage``) with fixed token usage, and
records every request body. Unknown models (``unknown-*``) answer with that model name.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PROMPT, COMPLETION, CACHED, REASONING = 1200, 300, 400, 50
#: what the API answers as the model for a requested model (a dated snapshot, as OpenAI does)
SNAPSHOTS = {"gpt-4o": "gpt-4o-2024-08-06", "gpt-4o-mini": "gpt-4o-mini-2024-07-18"}


def usage() -> dict[str, Any]:
    return {"prompt_tokens": PROMPT, "completion_tokens": COMPLETION, "total_tokens": PROMPT + COMPLETION,
            "prompt_tokens_details": {"cached_tokens": CACHED},
            "completion_tokens_details": {"reasoning_tokens": REASONING}}


class _Handler(BaseHTTPRequestHandler):
    server: "FakeOpenAI"

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        self.server.requests.append({"path": self.path, "body": body})
        model = SNAPSHOTS.get(body.get("model"), body.get("model"))
        if body.get("stream"):
            self._stream(model, bool((body.get("stream_options") or {}).get("include_usage")))
            return
        self._send(200, {"id": "chatcmpl-fake", "object": "chat.completion", "created": 1700000000,
                         "model": model, "usage": usage(),
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": "hello"}}]})

    def _send(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, model: str, include_usage: bool) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        base = {"id": "chatcmpl-fake-stream", "object": "chat.completion.chunk", "created": 1700000000,
                "model": model}
        chunks = [{**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": part},
                                        "finish_reason": None}]} for part in ("hel", "lo")]
        chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        if include_usage:  # the usage arrives in the last chunk, with no choices
            chunks.append({**base, "choices": [], "usage": usage()})
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()

    def log_message(self, *args: Any) -> None:
        pass


class FakeOpenAI(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[dict[str, Any]] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def close(self) -> None:
        self.shutdown()
        self.server_close()

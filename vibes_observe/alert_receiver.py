"""The console/file alert receiver: an Alertmanager webhook endpoint.

    python -m vibes_observe.alert_receiver --listen 127.0.0.1:9097 --file alerts.jsonl

``GET /healthz`` → 200. ``POST /alerts`` with an Alertmanager webhook payload → one
JSON line per alert on stdout (console) and, unless ``?sink=console``, appended to
``--file`` (file). Each line: status, alertname, severity, labels, annotations,
startsAt, endsAt, receiver, channel, received_at.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

_MAX_BODY = 4 * 1024 * 1024


def alert_lines(payload: dict[str, Any], channel: str = "") -> list[str]:
    """One compact JSON line per alert of an Alertmanager webhook payload."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise ValueError("payload has no 'alerts' list")
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    lines = []
    for alert in payload["alerts"]:
        labels = alert.get("labels", {}) or {}
        lines.append(json.dumps({
            "status": alert.get("status", payload.get("status")),
            "alertname": labels.get("alertname"),
            "severity": labels.get("severity"),
            "labels": labels,
            "annotations": alert.get("annotations", {}) or {},
            "startsAt": alert.get("startsAt"),
            "endsAt": alert.get("endsAt"),
            "receiver": payload.get("receiver"),
            "channel": channel,
            "received_at": now,
        }, sort_keys=True))
    return lines


class _Sink:
    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.lock = threading.Lock()

    def write(self, lines: list[str], to_file: bool) -> None:
        with self.lock:
            for line in lines:
                print(line, flush=True)
            if to_file and self.path is not None and lines:
                fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                with os.fdopen(fd, "a", encoding="utf-8") as fh:
                    fh.write("\n".join(lines) + "\n")


def _handler(sink: _Sink) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: str) -> None:
            data = body.encode()
            self.send_response(code)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if urlsplit(self.path).path == "/healthz":
                self._reply(200, "ok\n")
            else:
                self._reply(404, "not found\n")

        def do_POST(self) -> None:  # noqa: N802
            url = urlsplit(self.path)
            if url.path != "/alerts":
                self._reply(404, "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length <= 0 or length > _MAX_BODY:
                self._reply(400, "body missing or too large\n")
                return
            query = parse_qs(url.query)
            try:
                payload = json.loads(self.rfile.read(length))
                lines = alert_lines(payload, query.get("channel", [""])[0])
            except ValueError as exc:
                self._reply(400, f"bad payload: {exc}\n")
                return
            sink.write(lines, to_file=query.get("sink", ["file"])[0] != "console")
            self._reply(200, "ok\n")

        def log_message(self, format: str, *args: Any) -> None:  # keep stdout for alerts
            sys.stderr.write("alert_receiver: " + (format % args) + "\n")

    return Handler


def serve(listen: str, file: Path | None) -> ThreadingHTTPServer:
    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--listen: {listen!r} is not HOST:PORT")
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
    return ThreadingHTTPServer((host.strip("[]"), int(port)), _handler(_Sink(file)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vibes_observe.alert_receiver", description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:9097", help="HOST:PORT (default 127.0.0.1:9097)")
    parser.add_argument("--file", type=Path, help="append one JSON line per alert here")
    args = parser.parse_args(argv)
    try:
        server = serve(args.listen, args.file)
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    print(f"alert_receiver: listening on http://{args.listen}/alerts"
          + (f", appending to {args.file}" if args.file else ""), file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

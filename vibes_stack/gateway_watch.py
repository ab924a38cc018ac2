"""Keep the gateway name (GATEWAYS_NAME) in this host's /etc/hosts to the healthy gateways.

The agent collector's ``load_balancing`` exporter resolves that name with its ``dns`` resolver;
Go reads /etc/hosts before DNS, so this file is the resolver's answer. Chosen over a watcher that
rewrites a static list and SIGHUPs the collector: a reload restarts every pipeline (and its
queues) on each health change, a resolved name changes only the ring. Probes each gateway's
health_check endpoint every interval; when none answers every gateway stays listed (the queue
holds the data either way, and the first gateway back receives it without waiting for a probe).

Only the block between the markers is ours; the rest of the file is kept byte for byte. The file
is rewritten in place, not renamed over: on namespace hosts /etc/hosts is a bind mount.
``--listen`` serves the list it wrote last (JSON) at ``/``: the deploy's health check.

    python -m vibes_stack.gateway_watch --gateway 10.0.0.13 --gateway 10.0.0.14 --port 13133 \
        --listen 10.0.0.11:13135
"""
from __future__ import annotations

import argparse
import json
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Sequence

GATEWAYS_NAME = "vibes-gateways"  # resolved by the agents' load_balancing exporter
#: a gateway leaves the list after this many failed probes in a row: one slow answer on a busy
#: host is not a dead gateway, and every change of the list re-shuffles the agents' ring
FAILURES_TO_DELIST = 3
BEGIN = f"# BEGIN {GATEWAYS_NAME} (vibes_stack.gateway_watch; rewritten every probe)"
END = f"# END {GATEWAYS_NAME}"


def healthy(address: str, port: int, timeout: float) -> bool:
    try:
        with urllib.request.urlopen(f"http://{address}:{port}/", timeout=timeout) as response:
            return response.status == 200
    except (OSError, urllib.error.URLError):  # refused, unreachable, timed out, 503
        return False


def with_block(text: str, addresses: Sequence[str]) -> str:
    """``text`` with our block (one line per address) in place of the old one, or appended."""
    lines = text.splitlines()
    if BEGIN in lines and END in lines[lines.index(BEGIN):]:
        start = lines.index(BEGIN)
        end = lines.index(END, start)
        lines = lines[:start] + lines[end + 1:]
    block = [BEGIN, *(f"{address} {GATEWAYS_NAME}" for address in addresses), END]
    return "\n".join(lines + block) + "\n"


def write_in_place(path: Path, text: str) -> bool:
    """Rewrite ``path`` when its content differs; True when it changed."""
    with path.open("r+") as handle:
        if handle.read() == text:
            return False
        handle.seek(0)
        handle.write(text)
        handle.truncate()
    return True


def still_listed(failures: dict[str, int], answered: dict[str, bool]) -> list[str]:
    """Count each gateway's failed probes in a row (``failures``, updated) from this round's
    ``answered``; list those below FAILURES_TO_DELIST, or every gateway when none is."""
    for address, ok in answered.items():
        failures[address] = 0 if ok else failures.get(address, 0) + 1
    alive = [address for address in answered if failures[address] < FAILURES_TO_DELIST]
    return alive or list(answered)


def listed(gateways: Sequence[str], port: int, timeout: float, failures: dict[str, int] | None = None) -> list[str]:
    """One probe round over ``gateways`` (``failures``: the rounds before, as still_listed keeps them)."""
    answered = {address: healthy(address, port, timeout) for address in gateways}
    return still_listed({} if failures is None else failures, answered)


def serve_listed(listen: str, current: list[str]) -> ThreadingHTTPServer:
    """Answer ``GET /`` with ``current`` (the list last written) from a daemon thread."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            body = json.dumps({"gateways": current}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # health probes every second: not worth a log line
            pass

    host, port = listen.rsplit(":", 1)
    server = ThreadingHTTPServer((host, int(port)), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", action="append", required=True, help="gateway address (repeat)")
    parser.add_argument("--port", type=int, required=True, help="the gateways' health_check port")
    parser.add_argument("--hosts-file", type=Path, default=Path("/etc/hosts"))
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--listen", required=True, help="address:port of the health endpoint")
    args = parser.parse_args(argv)
    current: list[str] = []
    failures: dict[str, int] = {}
    serve_listed(args.listen, current)
    while True:
        started = time.monotonic()
        addresses = listed(args.gateway, args.port, timeout=min(1.0, args.interval), failures=failures)
        written = write_in_place(args.hosts_file, with_block(args.hosts_file.read_text(), addresses))
        current[:] = addresses
        if written:
            print(f"{GATEWAYS_NAME}: {' '.join(addresses)}", flush=True)
        time.sleep(max(0.0, args.interval - (time.monotonic() - started)))


if __name__ == "__main__":
    raise SystemExit(main())

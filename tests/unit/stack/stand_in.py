"""A stand-in component process: ``python stand_in.py PORT [--await PORT] [--require URL] [--fail TEXT]``.

Serves 200 on every path of 127.0.0.1:PORT. ``--await``: 503 until that port accepts connections (healthy
only once a peer has been launched too); ``--require``: exits 3 unless that URL answers right now (a
component that needs a dependency already healthy); ``--fail``: prints TEXT, exits 3.
"""
import argparse
import http.server
import socket
import sys
import urllib.request


def _open(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("port", type=int)
    p.add_argument("--await", dest="await_port", type=int)
    p.add_argument("--require")
    p.add_argument("--fail")
    args = p.parse_args()
    if args.fail:
        print(args.fail, flush=True)
        return 3
    if args.require:
        try:
            urllib.request.urlopen(args.require, timeout=2).close()
        except OSError as exc:
            print(f"dependency {args.require} is not healthy: {exc}", flush=True)
            return 3
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the name http.server calls
            self.send_response(200 if args.await_port is None or _open(args.await_port) else 503)
            self.end_headers()

        def log_message(self, *_args):
            pass

    with http.server.ThreadingHTTPServer(("127.0.0.1", args.port), Handler) as server:
        print("serving", flush=True)
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Can this network namespace open a TCP connection and read the peer's first line?

Imported by the tests (probing from the root namespace) and run as a script inside a host
(`ip netns exec <ns> python tcp_probe.py ADDRESS PORT TIMEOUT`), so both sides probe alike.
Exit codes of the script: 0 the first line arrived, 1 no connection, 2 connected but silent.
"""
from __future__ import annotations

import socket
import sys

CONNECTED_SILENT = 2
NO_CONNECTION = 1
ANSWERED = 0


def first_line(address: str, port: int, timeout: float) -> tuple[int, bytes]:
    """(outcome, first line) of a connection to ``address:port``; every step bounded by ``timeout``."""
    try:
        conn = socket.create_connection((address, port), timeout=timeout)
    except OSError:
        return NO_CONNECTION, b""
    with conn:
        try:
            line = conn.makefile("rb").readline(256)
        except OSError:  # timeout or reset: connected, nothing read
            return CONNECTED_SILENT, b""
    return (ANSWERED, line) if line else (CONNECTED_SILENT, b"")


def main(argv: list[str]) -> int:
    address, port, timeout = argv[0], int(argv[1]), float(argv[2])
    return first_line(address, port, timeout)[0]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

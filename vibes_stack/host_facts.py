"""What the native deploy needs to know about a host, read there in one command.

pyinfra runs a fact's command on every ``get_fact`` and runs an operation's body twice (to plan,
then to execute): a fact per file, directory and process made a native deploy ~155 commands. The
deploy reads this once per host and hands each operation its part, so `make plan` and `make up`
decide from the same reading.

CLI (what the ``NativeHost`` fact runs on the target host; stdlib only, like the supervisor):
  python -m vibes_stack.host_facts REQUEST_JSON      prints the answer as JSON
request: ``{"files": [path…], "dirs": [path…], "listed": [dir…], "run_dir": dir, "components": [name…]}``
answer:  ``{"files": {path: {"sha256": hex, "mode": "644"} | null}, "dirs": {path: bool},
           "listed": {dir: [file…]}, "processes": {name: supervisor.probe(…)}}``
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from typing import Any

from . import supervisor


def digest(content: bytes) -> str:
    """What ``files`` reports for a file's content (the deploy compares rendered content to it)."""
    return hashlib.sha256(content).hexdigest()


def _file(path: str) -> dict[str, str] | None:
    try:
        with open(path, "rb") as fh:
            content = fh.read()
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
        return None
    return {"sha256": digest(content), "mode": format(mode & 0o777, "o")}


def _listed(directory: str) -> list[str]:
    """Every file below ``directory`` (none when it does not exist)."""
    return sorted(os.path.join(root, name) for root, _dirs, names in os.walk(directory) for name in names)


def read(request: dict[str, Any]) -> dict[str, Any]:
    return {"files": {p: _file(p) for p in request.get("files", [])},
            "dirs": {d: os.path.isdir(d) for d in request.get("dirs", [])},
            "listed": {d: _listed(d) for d in request.get("listed", [])},
            "processes": {c: supervisor.probe(request["run_dir"], c) for c in request.get("components", [])}}


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m vibes_stack.host_facts REQUEST_JSON", file=sys.stderr)
        return 2
    print(json.dumps(read(json.loads(args[0])), sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Virtual environments for the peer SDKs the benchmarks compare against, each pinned and
cached outside the checkout (``${XDG_CACHE_HOME:-~/.cache}/vibes-observe/bench-venvs``),
keyed by its requirements so a changed pin builds a new one.

OpenLIT 1.45.0 needs openai < 3 and resolves quickly only with the OpenTelemetry packages
pinned (SDK/API/exporters 1.45.1, every instrumentation it pulls 0.66b1).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

_OTEL = "1.45.1"
_CONTRIB = "0.66b1"
_OPENLIT_INSTRUMENTATIONS = ("aiohttp-client", "asgi", "dbapi", "django", "falcon", "fastapi", "flask", "httpx",
                             "pyramid", "requests", "starlette", "tornado", "urllib", "urllib3", "wsgi")

PEERS: dict[str, list[str]] = {
    "openlit": ["openlit==1.45.0", "openai<3",
                *(f"opentelemetry-{p}=={_OTEL}" for p in ("api", "sdk", "exporter-otlp", "exporter-otlp-proto-http",
                                                          "exporter-otlp-proto-grpc", "exporter-otlp-proto-common",
                                                          "proto")),
                f"opentelemetry-semantic-conventions=={_CONTRIB}", f"opentelemetry-instrumentation=={_CONTRIB}",
                f"opentelemetry-util-http=={_CONTRIB}",
                *(f"opentelemetry-instrumentation-{p}=={_CONTRIB}" for p in _OPENLIT_INSTRUMENTATIONS)],
    # traceloop-sdk 0.62.4 does not resolve here: its opentelemetry-instrumentation-milvus 0.62.4
    # needs opentelemetry-semantic-conventions-ai >= 0.5.2 and the registry serves 0.5.1. It is
    # still tried (once per pin set: the failure is cached); OpenLLMetry's own OpenAI
    # instrumentation, the one traceloop-sdk would switch on, stands in for it.
    "traceloop": ["traceloop-sdk==0.62.4", "openai==3.57.0"],
    "openllmetry": ["opentelemetry-instrumentation-openai==0.62.4", "opentelemetry-sdk==1.45.2",
                    "opentelemetry-exporter-otlp-proto-http==1.45.2", "openai==3.57.0"],
}


def _root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vibes-observe" / "bench-venvs"


def python_for(peer: str) -> str | None:
    """The interpreter of ``peer``'s venv, created (with progress on stderr) when missing;
    None when pip cannot install it here (said on stderr: the benchmark goes on without it)."""
    requirements = PEERS[peer]
    key = hashlib.sha256("\n".join(requirements).encode()).hexdigest()[:12]
    venv = _root() / f"{peer}-{key}"
    python = venv / "bin" / "python"
    if (venv / ".installed").exists():
        return str(python)
    if (venv / ".failed").exists():
        print(f"bench: {peer} left out ({(venv / '.failed').read_text().strip()})", file=sys.stderr, flush=True)
        return None
    print(f"bench: creating the {peer} venv in {venv} (once; pip, a few minutes)", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    done = subprocess.run([str(python), "-m", "pip", "install", "-q", *requirements],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        print(f"bench: {peer} does not install here, left out ({reason})", file=sys.stderr, flush=True)
        (venv / ".failed").write_text(f"pip: {reason}\n")
        return None
    (venv / ".installed").touch()
    return str(python)

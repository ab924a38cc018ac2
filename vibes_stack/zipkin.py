"""The Zipkin server the SDK's ``zipkin`` trace exporter is tested against.

Zipkin is a user's backend, not part of the stack: the exec jar pinned in
stack/versions.yaml is fetched from Maven Central with Maven (``make zipkin-server``) into
the binary cache and run on the machine's Java 17, bound to 127.0.0.1.

    python -m vibes_stack.zipkin fetch     # prints the jar's path
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from . import paths
from .binaries import versions


def jar_path() -> Path:
    v = versions()["zipkin"]
    return paths.cache_bin_dir() / f"zipkin-{v['version']}" / f"zipkin-server-{v['version']}-exec.jar"


def fetch() -> Path:
    jar = jar_path()
    if jar.exists():
        return jar
    mvn = shutil.which("mvn")
    if not mvn:
        raise SystemExit("zipkin: Maven (mvn) is needed to fetch the Zipkin server from Maven Central")
    subprocess.run([mvn, "-q", "-B", "dependency:copy", f"-Dartifact={versions()['zipkin']['maven_artifact']}",
                    f"-DoutputDirectory={jar.parent}"], check=True)
    if not jar.exists():
        raise SystemExit(f"zipkin: Maven finished but {jar} is missing")
    return jar


def command(jar: Path, port: int) -> list[str]:
    """java argv serving Zipkin's API (in-memory storage) on 127.0.0.1:port only."""
    return ["java", "-Xmx256m", "-jar", str(jar), f"--server.port={port}", f"--armeria.ports[0].port={port}",
            "--armeria.ports[0].ip=127.0.0.1", "--armeria.ports[0].protocols[0]=http"]


if __name__ == "__main__":
    if sys.argv[1:] != ["fetch"]:
        raise SystemExit("usage: python -m vibes_stack.zipkin fetch")
    print(fetch())

"""Find or build the native binaries, in this order:

explicit path (stack config ``binaries.<component>``) or PATH → our cache
``${XDG_CACHE_HOME:-~/.cache}/vibes-observe/bin/<component>-<version>[-<manifest hash>]/`` →
Debian package (root only) → Go build from the module proxy. Builds print progress.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Collection
from pathlib import Path
from typing import Callable

from . import cassandra, components, paths
from .errors import StackConfigError
from .pins import say, versions

#: tools built and cached like the components but not part of the stack (bench/ load generator)
TOOLS = {"telemetrygen": ("telemetrygen",)}
DEBIAN_PACKAGES = ("prometheus", "prometheus-alertmanager")
GO_BUILT = ("jaeger", "victorialogs", "telemetrygen")
THANOS = "thanos"          # one binary, one pin, for every Thanos role of the metrics tier
CASSANDRA = "cassandra"    # java on PATH + the pinned server jars in the cache (vibes_stack.cassandra)


def path_names() -> dict[str, tuple[str, ...]]:
    """Executable names looked up on PATH: each component's own (its module), then the tools."""
    return {**{c.name: c.executables for c in components.ALL if c.executables}, **TOOLS}


def native_components(*, optional: bool) -> list[str]:
    """Components of the single-host stack with a native binary: required ones, or (licence policy:
    never built here) the optional ones used only when present. A fleet's tiers come on request."""
    return [c.name for c in components.ALL if c.executables and c.optional == optional and not c.fleet_only]


def pin_key(component: str) -> str:
    """Its entry in stack/versions.yaml: components sharing one binary (Thanos' roles) share one pin."""
    found = next((c for c in components.ALL if c.name == component), None)
    return (found.image_key if found else None) or component


class BinaryError(RuntimeError):
    pass


def manifest_hash() -> str:
    return hashlib.sha256((paths.REPO_ROOT / versions()["collector"]["manifest"]).read_bytes()).hexdigest()[:12]


def cache_path(component: str) -> Path:
    v = versions()
    if component == "collector":
        return paths.cache_bin_dir() / f"collector-{v['collector']['version']}-{manifest_hash()}" / "otelcol-vibes"
    if component in GO_BUILT:  # cache dir named after the component, binary after its executable
        return paths.cache_bin_dir() / f"{component}-{v[component]['version']}" / path_names()[component][0]
    key = pin_key(component)
    return paths.cache_bin_dir() / f"{key}-{v[key]['version']}" / key


def _executable(p: Path | str | None) -> bool:
    return bool(p) and os.path.isfile(p) and os.access(p, os.X_OK)


def _on_path(component: str) -> str | None:
    for name in path_names()[component]:
        found = shutil.which(name)
        if found:
            return found
    return None


def find(component: str, explicit: dict[str, str] | None = None) -> tuple[str | None, str]:
    """(path or None, where it came from) without installing or building anything."""
    explicit = explicit or {}
    if component in explicit:
        p = os.path.expanduser(explicit[component])
        if not _executable(p):
            raise StackConfigError(f"binaries.{component}: {explicit[component]!r} is not an executable file")
        return p, "stack config"
    if component == CASSANDRA and not cassandra.lib_dir().is_dir():
        return None, "missing: its jars (Maven Central)"
    found = _on_path(component)
    if found:
        return found, "PATH" if component != CASSANDRA else f"PATH, jars in {cassandra.lib_dir()}"
    cached = cache_path(component)
    if _executable(cached):
        return str(cached), "cache"
    if component == "prometheus" and _executable(prometheus_go_cache_path()):
        return str(prometheus_go_cache_path()), "cache (Go build)"
    return None, "missing"


def resolve_all(explicit: dict[str, str] | None = None, *, out: Callable[[str], None] = say,
                install: bool = True, fleet: Collection[str] = ()) -> dict[str, str | None]:
    """Every native binary, installing/building what is missing (when ``install``); ``fleet``: the
    components an inventory places, whose tiers (Thanos, Cassandra) are resolved too."""
    result: dict[str, str | None] = {}
    tiers = [c.name for c in components.ALL if c.fleet_only and c.executables and c.name in fleet]
    for component in native_components(optional=False) + tiers:
        path, source = find(component, explicit)
        if path is None and install:
            path, source = _obtain(component, out)
        if path is None:  # plan/down/status: name the path `up` would install or build
            path, source = _predicted(component), "missing: `up` would install or build it"
        out(f"  {component:<13} {path}  ({source})")
        result[component] = path
    for component in native_components(optional=True):
        path, source = find(component, explicit)
        out(f"  {component:<13} {path or 'absent'}" + (f"  ({source})" if path else
            "  (cannot be built here: licence policy; see `make up` notices)"))
        result[component] = path
    return result


def _predicted(component: str) -> str:
    if component == "prometheus":
        return "/usr/bin/prometheus"
    if component == "alertmanager":
        return "/usr/bin/prometheus-alertmanager"
    if component == CASSANDRA:
        return "java"
    return str(cache_path(component))


def _obtain(component: str, out: Callable[[str], None]) -> tuple[str, str]:
    if component in ("prometheus", "alertmanager"):
        try:
            _apt_install(out)
        except BinaryError as exc:
            if component != "prometheus":
                raise
            out(f"[prometheus] Debian package unavailable ({exc}); building from the Go module proxy")
            return str(build_prometheus(out)), "built"
        found = _on_path(component)
        if found:
            return found, "Debian package"
        raise BinaryError(f"{component}: not on PATH after installing Debian packages {DEBIAN_PACKAGES}")
    if component == "collector":
        return str(build_collector(out)), "built"
    if component == "jaeger":
        return str(build_jaeger(out)), "built"
    if component in ("victorialogs", "telemetrygen"):
        return str(go_install(component, out)), "built"
    if pin_key(component) == THANOS:
        return str(module_tree_binary(THANOS, out)), "built"
    if component == CASSANDRA:
        lib = cassandra.fetch(out)
        java = _on_path(component)
        if not java:
            raise BinaryError("cassandra: java (Java 17) is not on PATH; `make cluster-deps` installs it")
        return java, f"PATH, jars in {lib}"
    raise BinaryError(f"{component}: no build recipe")


def _apt_install(out: Callable[[str], None]) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise BinaryError("prometheus/alertmanager: not found; install the Debian packages "
                          f"({' '.join(DEBIAN_PACKAGES)}) or set binaries.<component> in the stack config")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _run(["apt-get", "update"], "apt-get update", out, env=env)
    _run(["apt-get", "install", "-y", "--no-install-recommends", *DEBIAN_PACKAGES],
         "apt-get install", out, env=env)
    _stop_debian_services(out)


def _stop_debian_services(out: Callable[[str], None]) -> None:
    """We want the packages' binaries only. On a systemd host their units start on install and
    would hold our ports (Prometheus on :9090 of every interface): stop and disable them."""
    if not Path("/run/systemd/system").is_dir() or not shutil.which("systemctl"):
        return  # no systemd (containers, CI): the packages could not start anything
    units = [f"{package}.service" for package in DEBIAN_PACKAGES]
    _run(["systemctl", "disable", "--now", *units], "systemctl disable", out)


def _go() -> str:
    go = shutil.which("go") or ("/usr/local/go/bin/go" if _executable("/usr/local/go/bin/go") else None)
    if not go:
        raise BinaryError("go: the Go toolchain is needed to build the collector and Jaeger; install Go ≥1.24")
    return go


def build_collector(out: Callable[[str], None] = say) -> Path:
    v = versions()["collector"]
    target = cache_path("collector")
    go = _go()
    with tempfile.TemporaryDirectory(prefix="vibes-build-collector-") as tmp:
        env = {**os.environ, "GOBIN": f"{tmp}/bin", "PATH": f"{Path(go).parent}:{os.environ.get('PATH', '')}"}
        _run([go, "install", f"{v['builder_module']}@v{v['version']}"], "collector: builder", out, env=env)
        shutil.copy(paths.REPO_ROOT / v["manifest"], f"{tmp}/builder-config.yaml")
        # GOFLAGS=-e: `go mod tidy` otherwise fails on test-only deps the proxy does not serve
        _run([f"{tmp}/bin/builder", "--config", "builder-config.yaml", "--ldflags=-s -w", "--verbose"],
             "collector: build", out, env={**env, "GOFLAGS": "-e"}, cwd=tmp)
        _install(Path(tmp) / "_build" / "otelcol-vibes", target)
    return target


def build_jaeger(out: Callable[[str], None] = say) -> Path:
    v = versions()["jaeger"]
    target = cache_path("jaeger")
    go = _go()
    pkg = f"{v['go_module']}/cmd/jaeger"
    with tempfile.TemporaryDirectory(prefix="vibes-build-jaeger-") as tmp:
        env = {**os.environ, "PATH": f"{Path(go).parent}:{os.environ.get('PATH', '')}"}
        # `go install` refuses the module (its go.mod has replace directives): build in a scratch module
        _run([go, "mod", "init", "vibes/jaegerbuild"], "jaeger: init", out, env=env, cwd=tmp)
        _run([go, "get", "-tool", f"{pkg}@{v['go_module_version']}"], "jaeger: fetch", out, env=env, cwd=tmp)
        _run([go, "build", "-v", "-ldflags=-s -w", "-o", "jaeger", pkg], "jaeger: build", out, env=env, cwd=tmp)
        _install(Path(tmp) / "jaeger", target)
    return target


def go_install(component: str, out: Callable[[str], None] = say) -> Path:
    """A module whose go.mod has no replace directives builds with plain `go install module/pkg@version`."""
    v = versions()[component]
    target = cache_path(component)
    go = _go()
    pkg = f"{v['go_module']}/{v['go_package']}" if v.get("go_package") else v["go_module"]
    with tempfile.TemporaryDirectory(prefix=f"vibes-build-{component}-") as tmp:
        env = {**os.environ, "GOBIN": tmp, "PATH": f"{Path(go).parent}:{os.environ.get('PATH', '')}"}
        _run([go, "install", "-ldflags=-s -w", f"{pkg}@v{v['version']}"], f"{component}: build", out, env=env)
        _install(Path(tmp) / Path(pkg).name, target)
    return target


def prometheus_go_cache_path() -> Path:
    v = versions()["prometheus"]
    return paths.cache_bin_dir() / f"prometheus-go-{v['go_module_version']}" / "prometheus"


def build_prometheus(out: Callable[[str], None] = say) -> Path:
    return build_in_module_tree("prometheus", prometheus_go_cache_path(), out)


def module_tree_binary(component: str, out: Callable[[str], None] = say) -> Path:
    """The cached binary of a component built inside its own module tree; built on first use."""
    target = cache_path(component)
    if _executable(target):
        return target
    return build_in_module_tree(component, target, out)


def build_in_module_tree(component: str, target: Path, out: Callable[[str], None] = say) -> Path:
    """Build ``go_package`` inside the component's own module tree: `go mod download` it and build
    there, so its go.mod/go.sum (replace/exclude directives, which `go install` refuses) apply exactly."""
    v = versions()[component]
    go = _go()
    # GOWORK=off: a module may ship a go.work naming sub-modules that are not in its zip
    env = {**os.environ, "PATH": f"{Path(go).parent}:{os.environ.get('PATH', '')}", "GOWORK": "off"}
    with tempfile.TemporaryDirectory(prefix=f"vibes-build-{component}-") as tmp:
        listing = Path(tmp) / "download.json"
        with open(listing, "w") as fh:
            proc = subprocess.run([go, "mod", "download", "-json", f"{v['go_module']}@{v['go_module_version']}"],
                                  stdout=fh, env=env, cwd=tmp)
        if proc.returncode != 0:
            raise BinaryError(f"{component}: go mod download failed:\n{listing.read_text()[-2000:]}")
        src_dir = json.loads(listing.read_text())["Dir"]
        src = Path(tmp) / "src"
        shutil.copytree(src_dir, src)
        for p in [src, *src.rglob("*")]:  # the module cache is read-only
            p.chmod(p.stat().st_mode | 0o200)
        tags = [f"-tags={v['go_build_tags']}"] if v.get("go_build_tags") else []
        _run([go, "build", "-v", *tags, "-ldflags=-s -w", "-o", target.name, f"./{v['go_package']}"],
             f"{component}: build", out, env=env, cwd=src)
        _install(src / target.name, target)
    return target


def _install(built: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".partial")
    shutil.copy2(built, tmp)
    os.chmod(tmp, 0o755)
    os.replace(tmp, target)  # atomic: a half-copied binary is never found in the cache


def _run(argv: list[str], label: str, out: Callable[[str], None], *, env=None, cwd=None) -> None:
    """Run a long step, echoing its output with elapsed time and a heartbeat while it is silent."""
    start = time.monotonic()
    out(f"[{label}] $ {' '.join(argv)}")
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=cwd, bufsize=1)
    last = [time.monotonic()]
    tail: list[str] = []
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(15):
            if time.monotonic() - last[0] >= 15:
                out(f"[{label}] … still working ({time.monotonic() - start:.0f}s)")

    threading.Thread(target=heartbeat, daemon=True).start()
    assert proc.stdout is not None
    for line in proc.stdout:
        last[0] = time.monotonic()
        line = line.rstrip()
        tail = (tail + [line])[-40:]
        out(f"[{label} {time.monotonic() - start:5.0f}s] {line}")
    rc = proc.wait()
    done.set()
    if rc != 0:
        raise BinaryError(f"{label} failed (exit {rc}) after {time.monotonic() - start:.0f}s:\n" + "\n".join(tail))
    out(f"[{label}] done in {time.monotonic() - start:.0f}s")
    sys.stdout.flush()

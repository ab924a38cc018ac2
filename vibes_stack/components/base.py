"""What a component module declares (``Component``), what its ``spec()`` returns (``ComponentSpec`` or
``Absent``), and where it runs (``Placement``: this host natively, or a container under compose).

A component module knows its own flags, files, ports and health path once; the placement
answers everything that differs by where it runs: the address it binds, how peers reach it,
where its config and data live as the process sees them, and how it is executed. A later
placement (an inventory host over SSH) is one more ``Placement`` subclass: ``HostPlacement``.
"""
from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import jinja2
import yaml

from .. import paths
from ..errors import StackConfigError

if TYPE_CHECKING:  # annotations only: the config model imports this registry (component names)
    from ..config import StackConfig

#: where configs and data live inside containers
CONTAINER_CONF, CONTAINER_DATA = "/etc/vibes", "/var/lib/vibes"


@dataclass
class ComponentSpec:
    """One component, rendered for one placement. Paths in ``files``/``dirs``/``secrets`` are this
    host's; ``argv`` and the rendered files use the paths the process sees."""

    name: str
    argv: list[str]                  # native: the full command line; container: the image's command
    health_url: str
    url: str
    files: dict[str, str] = field(default_factory=dict)      # path → content
    secret_files: set[str] = field(default_factory=set)      # written 0600
    dirs: list[str] = field(default_factory=list)            # created before start
    env: dict[str, str] = field(default_factory=dict)
    cwd: str = ""
    secrets: list[str] = field(default_factory=list)         # random secrets generated once (0600)
    pruned_dirs: list[str] = field(default_factory=list)     # files here that ``files`` lacks are removed
    notices: list[str] = field(default_factory=list)
    health_timeout: float | None = None                      # seconds to healthy (None: the supervisor's default)
    # container placement
    published: list[int] = field(default_factory=list)       # ports published on the bind address
    volumes: list[str] = field(default_factory=list)         # beyond its config dir and data dir
    data_volume: bool = True                                 # <state>/data/<name> mounted at CONTAINER_DATA/<name>
    replicas: int = 1                                        # containers of this service; replica i publishes port + i

    @property
    def config_hash(self) -> str:
        """What a restart depends on: command line, environment, rendered files."""
        h = hashlib.sha256()
        h.update(json.dumps({"argv": self.argv, "env": self.env}, sort_keys=True).encode())
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + self.files[path].encode() + b"\0")
        return h.hexdigest()[:16]


@dataclass(frozen=True)
class Absent:
    """The component does not run in this placement (no binary here, not wanted); ``notice`` says why."""

    notice: str | None = None


@dataclass(frozen=True)
class Component:
    name: str
    spec: Callable[[StackConfig, Placement], ComponentSpec | Absent]
    after: tuple[str, ...] = ()              # started after these (stopped before them)
    executables: tuple[str, ...] = ()        # names a native binary is found under (PATH, cache)
    optional: bool = False                   # natively only when a binary is already present
    memory_limit: str | None = None          # container memory limit (stack config may override)
    image_key: str | None = None             # its entry in stack/versions.yaml (default: the name)
    fleet_only: bool = False                 # a tier of a fleet: runs only where an inventory's group data places it


class Placement:
    """Where components run. Subclasses answer for one kind of place."""

    kind: str

    def __init__(self, cfg: StackConfig, state: paths.StateLayout):
        self.cfg, self.state = cfg, state
        self._minted: dict[str, str] = {}

    def kept_secret(self, name: str, mint: Callable[[], str]) -> str:
        """A generated secret a rendered file must contain: what this host keeps at ``secret(name)``,
        else ``mint()`` once per placement (every component rendered with it gets the same); the
        component lists the file so the deploy keeps it (0600) for every later render."""
        if name not in self._minted:
            try:
                self._minted[name] = Path(self.secret(name)[0]).read_text()
            except FileNotFoundError:
                self._minted[name] = mint()
        return self._minted[name]

    @property
    def native(self) -> bool:
        return self.kind == "native"

    @property
    def public_host(self) -> str:
        """Where the user on this host reaches a published port."""
        return self.cfg.loopback

    def url(self, port: int, path: str = "") -> str:
        return f"http://{self.public_host}:{port}{path}"

    # --- answered by each kind of place
    listen: str  # the address a component binds

    def reach(self, component: str) -> str:
        """The host name another component uses to reach ``component``."""
        raise NotImplementedError

    def reach_all(self, component: str) -> list[str]:
        """Every host name ``component`` runs at (a fleet runs some components on several hosts)."""
        return [self.reach(component)]

    def placed(self, component: str) -> list[str]:
        """Every host a fleet-only component (a tier, ``Component.fleet_only``) runs at: none outside a fleet."""
        return self.reach_all(component) if self.kind == "host" else []

    def available(self, component: str) -> bool:
        raise NotImplementedError

    def executable(self, component: str) -> list[str]:
        """The argv prefix that runs ``component`` (a container's image has its own)."""
        raise NotImplementedError

    @property
    def python(self) -> str:
        raise NotImplementedError

    def config_file(self, component: str, name: str) -> tuple[str, str]:
        """(path on this host, path the process reads) of one of its rendered files."""
        raise NotImplementedError

    def data(self, component: str) -> str:
        """Its data directory as the process sees it."""
        raise NotImplementedError

    def secret(self, name: str) -> tuple[str, str]:
        """(path on this host, path the process reads) of a generated secret."""
        raise NotImplementedError


class NativePlacement(Placement):
    """A local process per component, every port on ``bind_address``."""

    kind = "native"

    def __init__(self, cfg: StackConfig, state: paths.StateLayout, binaries: dict[str, str | None],
                 python: str | None = None):
        super().__init__(cfg, state)
        self.binaries = binaries
        self.listen = cfg.bind_address
        self._python = python or os.path.abspath(sys.executable)

    def reach(self, component: str) -> str:
        return self.cfg.loopback

    def available(self, component: str) -> bool:
        return bool(self.binaries.get(component))

    def executable(self, component: str) -> list[str]:
        binary = self.binaries.get(component)
        if not binary:
            raise StackConfigError(f"binaries.{component}: no {component} binary "
                                   "(`python -m vibes_stack binaries` builds it)")
        return [binary]

    @property
    def python(self) -> str:
        return self._python

    def config_file(self, component: str, name: str) -> tuple[str, str]:
        path = str(self.state.config / component / name)
        return path, path

    def data(self, component: str) -> str:
        return str(self.state.data / component)

    def secret(self, name: str) -> tuple[str, str]:
        path = str(self.state.secrets / name)
        return path, path


class HostPlacement(NativePlacement):
    """One inventory host of a fleet, deployed over SSH: a process per component, like natively.

    A component binds the host's address (never 0.0.0.0), reaches a peer at the address of the
    host that runs it (``peers``: component → addresses, inventory order), and keeps config, data,
    secrets, pid files and logs under the host's own state dir (hosts may share one filesystem).
    Binaries and Python are run from the same paths as on the deploying machine: a remote host
    needs the same layout (this repository and its venv at the same path, binaries resolved there).
    """

    kind = "host"

    def __init__(self, cfg: StackConfig, state: paths.StateLayout, binaries: dict[str, str | None], *,
                 address: str, peers: Mapping[str, Sequence[str]], python: str | None = None):
        super().__init__(cfg, state, binaries, python)
        self.address = self.listen = address
        self.peers = peers

    @property
    def native(self) -> bool:
        return True  # a supervised process, as on this machine

    @property
    def public_host(self) -> str:
        return self.address

    def reach(self, component: str) -> str:
        found = self.reach_all(component)
        if not found:
            raise StackConfigError(f"vibes_components: no inventory host runs {component}, which a component "
                                   f"of the host at {self.address} reaches")
        return found[0]

    def reach_all(self, component: str) -> list[str]:
        return list(self.peers.get(component, ()))

    def available(self, component: str) -> bool:
        return component in self.peers and super().available(component)


class ContainerPlacement(Placement):
    """compose: one container per component from the pinned official image, service names as hosts."""

    kind = "container"
    listen = "0.0.0.0"

    def __init__(self, cfg: StackConfig, state: paths.StateLayout, versions: dict[str, Any]):
        super().__init__(cfg, state)
        self.versions = versions

    def reach(self, component: str) -> str:
        return component

    def available(self, component: str) -> bool:
        return True  # every image is pulled from its registry

    def executable(self, component: str) -> list[str]:
        return []

    @property
    def python(self) -> str:
        return "python"

    def config_file(self, component: str, name: str) -> tuple[str, str]:
        return str(self.state.config / component / name), f"{CONTAINER_CONF}/{name}"

    def data(self, component: str) -> str:
        return f"{CONTAINER_DATA}/{component}"

    def secret(self, name: str) -> tuple[str, str]:
        return str(self.state.secrets / name), f"/run/secrets/{name}"

    def secret_volume(self, name: str) -> str:
        host, seen = self.secret(name)
        return f"{host}:{seen}:ro"


def template(name: str, **context: Any) -> str:
    """A stack/templates/ file rendered strictly (an unknown name is an error, not an empty string)."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(paths.TEMPLATES_DIR)),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    return env.get_template(name).render(**context)


#: libyaml's safe loader and dumper where PyYAML has them: the same documents, ~25x faster on the collector's
#: 140 kB pricing block (it was most of `make up`'s render time)
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
SAFE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def yaml_block(data: dict) -> str:
    return yaml.dump(data, Dumper=SAFE_DUMPER, sort_keys=False, default_flow_style=False).rstrip("\n")


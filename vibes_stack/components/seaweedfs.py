"""seaweedfs: the S3-compatible object store of simple-scalable Loki (compose only; Apache-2.0 —
MinIO is AGPL). One ``weed server -s3`` (master, volume, filer and S3 gateway in one process).

Its S3 identities file grants one identity, Loki's, with credentials generated on the first render
and kept 0600 under the state's secrets (``Placement.kept_secret``): never a fixed password.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .base import Absent, Component, ComponentSpec, Placement

if TYPE_CHECKING:
    from ..config import StackConfig

NAME = "seaweedfs"
BUCKET = "loki"                     # the bucket Loki's chunks, index and rules live in
IDENTITY = "loki"                   # the identity the identities file grants
# Admin: weed creates the bucket on Loki's first write (seen with 4.48); Loki never creates buckets
ACTIONS = ("Admin", "Read", "List", "Tagging", "Write")
CREDENTIALS = "s3_credentials.json"  # its secret file: {"access_key", "secret_key"}
IDENTITIES = "s3.json"


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str

    @classmethod
    def mint(cls) -> S3Credentials:
        return cls(secrets.token_hex(10).upper(), secrets.token_urlsafe(30))

    @classmethod
    def from_json(cls, text: str) -> S3Credentials:
        kept = json.loads(text)
        return cls(kept["access_key"], kept["secret_key"])

    def to_json(self) -> str:
        return json.dumps({"access_key": self.access_key, "secret_key": self.secret_key}, indent=2) + "\n"


def wanted(cfg: StackConfig, place: Placement) -> bool:
    """Simple-scalable Loki runs in compose only (no Loki binary is buildable here)."""
    return cfg.loki.mode == "simple-scalable" and place.kind == "container"


def credentials(place: Placement) -> S3Credentials:
    """Loki's S3 credentials: generated on the first render, then read back from the state's secrets."""
    return S3Credentials.from_json(place.kept_secret(CREDENTIALS, lambda: S3Credentials.mint().to_json()))


def identities(creds: S3Credentials) -> str:
    """SeaweedFS' S3 identities config (``-s3.config``): Loki's identity, nothing anonymous."""
    return json.dumps({"identities": [{"name": IDENTITY, "actions": list(ACTIONS),
                                       "credentials": [{"accessKey": creds.access_key,
                                                        "secretKey": creds.secret_key}]}]}, indent=2) + "\n"


def server_args(cfg: StackConfig, *, address: str, bind: str, data_dir: str, identities_file: str) -> list[str]:
    """``weed server -s3`` flags (after the executable): what compose runs, and the live test too.
    ``address`` is where its own parts reach each other, ``bind`` what they listen on."""
    ports = cfg.ports
    return ["server", "-s3", f"-ip={address}", f"-ip.bind={bind}", f"-dir={data_dir}",
            f"-master.port={ports.seaweedfs_master}", f"-volume.port={ports.seaweedfs_volume}",
            f"-filer.port={ports.seaweedfs_filer}", f"-s3.port={ports.seaweedfs_s3}",
            f"-s3.config={identities_file}", "-master.volumeSizeLimitMB=1024"]


def endpoint(cfg: StackConfig, place: Placement) -> str:
    """host:port Loki's S3 client reaches."""
    return f"{place.reach(NAME)}:{cfg.ports.seaweedfs_s3}"


def spec(cfg: StackConfig, place: Placement) -> ComponentSpec | Absent:
    if not wanted(cfg, place):
        return Absent("loki.mode: simple-scalable applies to compose only (Loki cannot be built here); "
                      "natively logs go to VictoriaLogs" if cfg.loki.mode == "simple-scalable" else None)
    creds = credentials(place)
    kept, _ = place.secret(CREDENTIALS)  # listed in its files: the deploy keeps what was minted
    config, seen_config = place.config_file(NAME, IDENTITIES)
    # the image's entrypoint takes the weed subcommand and flags; the container's own name is its address
    argv = server_args(cfg, address=place.reach(NAME), bind=place.listen, data_dir=place.data(NAME),
                       identities_file=seen_config)
    port = cfg.ports.seaweedfs_s3
    return ComponentSpec(
        NAME, argv, health_url=place.url(port, "/status"), url=place.url(port) + f" (S3, bucket {BUCKET})",
        files={config: identities(creds), kept: creds.to_json()}, secret_files={config, kept},
        dirs=[str(place.state.data / NAME)], published=[port])


COMPONENT = Component(NAME, spec, memory_limit="512m")

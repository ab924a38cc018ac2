"""pyinfra inventories for a running Cluster: a Python inventory file for the CLI, or the in-process one.

Both come from `inventory_groups`: group → [(host name, host data)]. SSH data trusts exactly the
host keys generated for this run (strict checking against a generated known_hosts, no agent, no
~/.ssh keys or config). Namespace hosts share one filesystem, so every host gets its own deploy
state root as host data (`vibes_state_dir`); deploys must keep their files under it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from pyinfra.api import Inventory

from .hosts import Cluster, Host
from .sshd import SSH_PORT

STATE_DIR_KEY = "vibes_state_dir"
ADDRESS_KEY = "vibes_address"


def host_data(cluster: Cluster, host: Host) -> dict[str, Any]:
    client = cluster.client
    if client is None:
        raise RuntimeError("the cluster is not up: enter it (`with Cluster(...)`) before building an inventory")
    return {
        "ssh_hostname": host.address,
        "ssh_user": "root",
        "ssh_port": SSH_PORT,
        "ssh_key": str(client.private_key),
        "ssh_known_hosts_file": str(client.known_hosts),
        "ssh_strict_host_key_checking": "yes",  # an unknown or changed host key is refused
        "ssh_config_file": str(client.ssh_config),
        "ssh_allow_agent": False,
        "ssh_look_for_keys": False,
        STATE_DIR_KEY: str(host.state_dir),
        ADDRESS_KEY: host.address,
    }


def inventory_groups(cluster: Cluster) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    return {group: [(host.name, host_data(cluster, host)) for host in cluster.group(group)]
            for group in cluster.spec.groups}


def inventory_file_text(cluster: Cluster) -> str:
    """A pyinfra inventory module: one list per group of (name, data) pairs, Python literals only."""
    lines = [f"# Generated for the namespace hosts of cluster {cluster.spec.prefix!r} ({cluster.spec.subnet})."]
    for group, hosts in inventory_groups(cluster).items():
        lines.append(f"{group} = {hosts!r}")
    return "\n".join(lines) + "\n"


def write_inventory(cluster: Cluster, path: Path) -> Path:
    path.write_text(inventory_file_text(cluster))
    return path


def pyinfra_inventory(cluster: Cluster) -> Inventory:
    """The same hosts and groups as pyinfra's in-process Inventory."""
    groups = inventory_groups(cluster)
    every_host = [pair for hosts in groups.values() for pair in hosts]
    return Inventory((every_host, {}), **{group: ([name for name, _ in hosts], {})
                                          for group, hosts in groups.items()})

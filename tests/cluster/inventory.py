"""pyinfra inventories for a running Cluster: a Python inventory file for the CLI, or the in-process one.

Both come from `inventory_groups`: group → [(host name, host data)]. SSH data trusts exactly the
host keys generated for this run (strict checking against a generated known_hosts, no agent, no
~/.ssh keys or config). Namespace hosts share one filesystem, so every host gets its own deploy
state root as host data (`vibes_state_dir`); deploys must keep their files under it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Sequence

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


#: inventory groups → host names; None: the cluster's own groups
Regrouping = Mapping[str, Sequence[str]] | None


def inventory_groups(cluster: Cluster, groups: Regrouping = None) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Inventory groups of the cluster's hosts: its own, or ``groups`` (e.g. a fleet's roles over them)."""
    members = groups or {group: [h.name for h in cluster.group(group)] for group in cluster.spec.groups}
    return {group: [(name, host_data(cluster, cluster.host(name))) for name in names]
            for group, names in members.items()}


def inventory_file_text(cluster: Cluster, groups: Regrouping = None) -> str:
    """A pyinfra inventory module: one list per group of (name, data) pairs, Python literals only."""
    lines = [f"# Generated for the namespace hosts of cluster {cluster.spec.prefix!r} ({cluster.spec.subnet})."]
    for group, hosts in inventory_groups(cluster, groups).items():
        lines.append(f"{group} = {hosts!r}")
    return "\n".join(lines) + "\n"


def write_inventory(cluster: Cluster, path: Path, groups: Regrouping = None) -> Path:
    path.write_text(inventory_file_text(cluster, groups))
    return path


def pyinfra_inventory(cluster: Cluster) -> Inventory:
    """The same hosts and groups as pyinfra's in-process Inventory."""
    groups = inventory_groups(cluster)
    every_host = [pair for hosts in groups.values() for pair in hosts]
    return Inventory((every_host, {}), **{group: ([name for name, _ in hosts], {})
                                          for group, hosts in groups.items()})

"""pyinfra deploy for the namespace-host tests: each host writes what it is into its own state root.

`--data probe_tag=NAME` names the directory (<vibes_state_dir>/probe-NAME), so runs do not mix.
Written over SSH: a shell command (network namespace inode, uname, eth0 addresses as `ip -j`
JSON, root's login shell), and pyinfra's own facts uploaded as JSON over SFTP.
"""
import json
from io import StringIO

from pyinfra import host
from pyinfra.facts.server import Hostname
from pyinfra.operations import files, server

out = f"{host.data.vibes_state_dir}/probe-{host.data.probe_tag}"

files.directory(name="probe directory", path=out)
server.shell(
    name="where am I",
    commands=[
        f"stat -L -c %i /proc/self/ns/net > {out}/netns_inode",
        f"uname -n > {out}/uname",
        f"ip -j -4 addr show dev eth0 > {out}/addr.json",
        f"getent passwd root | cut -d: -f7 > {out}/login_shell",
    ],
)
facts = {"hostname": host.get_fact(Hostname), "inventory_name": host.name, "groups": sorted(host.groups)}
files.put(name="facts", src=StringIO(json.dumps(facts)), dest=f"{out}/facts.json")

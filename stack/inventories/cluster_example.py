# A fleet (issue 11): `make up INVENTORY=stack/inventories/cluster_example.py`, `make plan INVENTORY=…`,
# `--limit gateways`, `--serial` for a rolling restart. Which components run on a group is its group
# data (stack/group_data/<group>.py: vibes_components); every host needs its address (the one its
# components bind and its peers reach) and its own state root.
#
# Remote hosts need the same layout as this machine: this repository and its venv at the same path
# (`make venv`), and the native binaries at the paths `python -m vibes_stack binaries` resolves here
# (nothing is uploaded). Ports bind the host's address, never 0.0.0.0: keep the subnet private.
_ssh = {"ssh_user": "vibes", "ssh_port": 22}


def _host(name, address):
    return (name, {**_ssh, "ssh_hostname": address, "vibes_address": address,
                   "vibes_state_dir": "/var/lib/vibes-observe"})


agents = [_host("app1", "10.0.0.11"), _host("app2", "10.0.0.12"), _host("app3", "10.0.0.13")]
gateways = [_host("gw1", "10.0.0.21"), _host("gw2", "10.0.0.22")]
metrics = [_host("metrics1", "10.0.0.31"), _host("metrics2", "10.0.0.32")]      # Thanos: replication factor 2
traces = [_host("traces1", "10.0.0.41"), _host("traces2", "10.0.0.42")]          # Cassandra: replication factor 2
alerting = [_host("alerts1", "10.0.0.51"), _host("alerts2", "10.0.0.52")]        # Alertmanager gossip pair

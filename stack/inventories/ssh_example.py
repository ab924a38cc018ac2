# Example: deploy the native stack to a remote host over SSH.
#   cd stack && pyinfra inventories/ssh_example.py deploy.py
# The remote host needs Python 3.11 with this repository installed (`pip install -e .[deploy]`)
# at the same path, and the binaries resolved there (`python -m vibes_stack binaries`).
# Every port still binds 127.0.0.1: reach the UIs through an SSH tunnel, e.g.
#   ssh -L 16686:127.0.0.1:16686 -L 9090:127.0.0.1:9090 observe.example.internal
hosts = [
    ("observe.example.internal", {"ssh_user": "vibes", "ssh_port": 22}),
]

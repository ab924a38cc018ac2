"""grafana: natively only when a binary is present (it cannot be built here); compose otherwise.
The admin password is generated once (0600) and never admin/admin."""
from vibes_stack.pyinfra_ops import secret_file

from tasks import _native

stop = _native.stop


def deploy(comp, doc):
    secret_file(name="grafana: admin password (0600)", path=doc["grafana_password_file"])
    _native.deploy(comp, doc)

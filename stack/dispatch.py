"""The stack's pyinfra deploy as a function: what `stack/deploy.py` (pyinfra CLI) and
`vibes_stack.pyinfra_run` (in-process, what `make up` and `make plan` use) both call.

``doc`` is the rendered document (`vibes_stack.deploy.document`): every component goes through
the one native loop (tasks/native.py), a compose project through tasks/compose.py. A fleet
(`vibes_stack.fleet`) renders one document per inventory host: ``deploy_fleet`` deploys each
host's own.
"""
from pyinfra import host
from tasks import compose, native


def deploy_stack(doc):
    if doc["mode"] == "compose":
        compose.deploy(doc)
    elif doc["action"] == "down":
        native.stop_all(doc)
    else:
        native.deploy_all(doc)


def deploy_fleet(docs):
    deploy_stack(docs[host.name])

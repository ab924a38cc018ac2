"""pyinfra deploy for the pyinfra CLI: `cd stack && pyinfra inventories/local.py deploy.py`.

Thin on purpose: the stack config is validated and rendered by vibes_stack (before
anything is touched) and the operations are added by dispatch.deploy_stack, the same
function `make up` runs in-process. Run by hand, the document is prepared here from
group_data + stack/stack.yaml (native mode); $VIBES_STACK_DOC may name a rendered one.
"""
import json
import os

from dispatch import deploy_stack

from vibes_stack import deploy as vibes_deploy


def _document():
    path = os.environ.get("VIBES_STACK_DOC")
    if path:
        with open(path) as fh:
            return json.load(fh)
    return vibes_deploy.document(vibes_deploy.prepare("native"), "up")


deploy_stack(_document())

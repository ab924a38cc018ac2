"""pyinfra deploy: `cd stack && pyinfra inventories/local.py deploy.py` (what `make up` runs).

Thin on purpose: the stack config is validated and rendered by vibes_stack (before
anything is touched); this file dispatches each component to tasks/<component>.py.
`make up` hands over the rendered document in $VIBES_STACK_DOC; run by hand, the
document is prepared here from group_data + stack/stack.yaml (native mode).
"""
import json
import os

from tasks import (alert_receiver, alertmanager, collector, compose, grafana, jaeger, loki, prometheus,
                   victorialogs)

TASKS = {
    "alert-receiver": alert_receiver,
    "alertmanager": alertmanager,
    "jaeger": jaeger,
    "loki": loki,
    "victorialogs": victorialogs,
    "collector": collector,
    "prometheus": prometheus,
    "grafana": grafana,
}


def _document():
    path = os.environ.get("VIBES_STACK_DOC")
    if path:
        with open(path) as fh:
            return json.load(fh)
    from vibes_stack import deploy as vibes_deploy  # standalone run: prepare it here
    return vibes_deploy.document(vibes_deploy.prepare("native"), "up")


doc = _document()

if doc["mode"] == "compose":
    compose.deploy(doc)
elif doc["action"] == "down":
    for comp in reversed(doc["components"]):
        TASKS[comp["name"]].stop(comp, doc)
else:
    for comp in doc["components"]:
        TASKS[comp["name"]].deploy(comp, doc)


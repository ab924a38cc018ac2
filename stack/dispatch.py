"""The stack's pyinfra deploy as a function: what `stack/deploy.py` (pyinfra CLI) and
`vibes_stack.pyinfra_run` (in-process, what `make up` and `make plan` use) both call.

``doc`` is the rendered document (`vibes_stack.deploy.document`); each component is
dispatched to tasks/<component>.py.
"""
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


def deploy_stack(doc):
    if doc["mode"] == "compose":
        compose.deploy(doc)
    elif doc["action"] == "down":
        for comp in reversed(doc["components"]):
            TASKS[comp["name"]].stop(comp, doc)
    else:
        for comp in doc["components"]:
            TASKS[comp["name"]].deploy(comp, doc)

"""alert-receiver: the alerting helper's console/file webhook (`python -m vibes_observe.alert_receiver`)."""
from tasks._native import deploy, stop  # noqa: F401  (no config file: everything is on its command line)

"""alertmanager: rendered config, then the supervised process."""
from tasks._native import deploy, stop  # noqa: F401  (nothing alertmanager-specific beyond its rendered files)

"""victorialogs: the native log database (no rendered files: its settings are flags), supervised."""
from tasks._native import deploy, stop  # noqa: F401

"""loki: natively only when a binary is present (it cannot be built here); compose otherwise."""
from tasks._native import deploy, stop  # noqa: F401

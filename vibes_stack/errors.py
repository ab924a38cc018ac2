"""The one error a bad stack config raises (its own module: the config model and the component
modules both raise it, and the config imports the component registry)."""
from __future__ import annotations


class StackConfigError(ValueError):
    """A bad stack config; the message names the key (``ports.prometheus: 70000 is not a valid port``)."""

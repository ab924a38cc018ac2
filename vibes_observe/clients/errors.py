"""The one error every backend client raises (no HTTP library needed to catch it)."""

from __future__ import annotations


class BackendError(RuntimeError):
    """A backend could not answer: says which one, where, and why."""

    def __init__(self, backend: str, url: str, reason: str):
        self.backend = backend
        self.url = url
        self.reason = reason
        super().__init__(f"{backend} at {url}: {reason}")

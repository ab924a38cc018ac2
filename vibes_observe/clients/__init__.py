"""Query clients for the stack's backends (Prometheus, Jaeger, Alertmanager, Loki,
and the native OTLP-JSON log store). Each raises :class:`BackendError` naming the
backend and URL when it cannot answer."""

from vibes_observe.clients.endpoints import Endpoints
from vibes_observe.clients.errors import BackendError

__all__ = ["BackendError", "Endpoints"]

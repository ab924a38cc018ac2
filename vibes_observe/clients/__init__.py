"""Query clients for the stack's backends (Prometheus, Jaeger, Alertmanager, Loki,
and the native OTLP-JSON log store). Each raises :class:`BackendError` naming the
backend and URL when it cannot answer."""

from vibes_observe.clients._http import BackendError
from vibes_observe.clients.endpoints import Endpoints

__all__ = ["BackendError", "Endpoints"]

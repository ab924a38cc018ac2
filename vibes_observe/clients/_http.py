"""One place for HTTP calls to backends, so every failure reads the same way."""

from __future__ import annotations

from typing import Any

import requests

from vibes_observe.clients.errors import BackendError

DEFAULT_TIMEOUT_S = 10.0


def _describe(exc: requests.RequestException) -> str:
    if isinstance(exc, requests.ConnectionError):
        return "unreachable (connection refused or host down) — is the stack up? try `make up` / `vibes observe status`"
    if isinstance(exc, requests.Timeout):
        return "timed out"
    return str(exc)


def request(backend: str, base_url: str, method: str, path: str, *,
            timeout: float = DEFAULT_TIMEOUT_S, **kwargs: Any) -> requests.Response:
    url = base_url.rstrip("/") + path
    try:
        resp = requests.request(method, url, timeout=timeout, **kwargs)
    except requests.RequestException as exc:
        raise BackendError(backend, base_url, _describe(exc)) from None
    if resp.status_code >= 400:
        body = resp.text.strip().replace("\n", " ")[:300]
        raise BackendError(backend, base_url, f"HTTP {resp.status_code} from {path}: {body}")
    return resp


def get_json(backend: str, base_url: str, path: str, *, params: Any = None,
             timeout: float = DEFAULT_TIMEOUT_S) -> Any:
    resp = request(backend, base_url, "GET", path, params=params, timeout=timeout)
    try:
        return resp.json()
    except ValueError:
        raise BackendError(backend, base_url, f"{path} did not return JSON") from None


def reachable(base_url: str, path: str, timeout: float = 2.0) -> tuple[bool, str]:
    """(ok, detail) for a health probe; never raises."""
    try:
        resp = requests.get(base_url.rstrip("/") + path, timeout=timeout)
    except requests.RequestException as exc:
        return False, _describe(exc).split(" — ")[0]
    if resp.status_code >= 400:
        return False, f"HTTP {resp.status_code} from {path}"
    return True, "ok"

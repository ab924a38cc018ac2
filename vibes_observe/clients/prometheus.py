"""Prometheus HTTP API: instant and range queries, rules, reload."""

from __future__ import annotations

import math
from dataclasses import dataclass

from vibes_observe.clients._http import BackendError, get_json, reachable, request

NAME = "Prometheus"


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]]


def parse_vector(payload: dict) -> list[Sample]:
    """Samples from a ``/api/v1/query`` answer (vector or scalar); NaN samples dropped."""
    data = payload.get("data", {})
    kind, result = data.get("resultType"), data.get("result", [])
    if kind == "scalar":
        result = [{"metric": {}, "value": result}]
    samples = []
    for item in result:
        value = float(item["value"][1])
        if not math.isnan(value):
            samples.append(Sample(dict(item.get("metric", {})), value))
    return samples


def parse_matrix(payload: dict) -> list[Series]:
    return [Series(dict(item.get("metric", {})),
                   [(float(t), float(v)) for t, v in item.get("values", [])])
            for item in payload.get("data", {}).get("result", [])]


class PrometheusClient:
    def __init__(self, url: str, timeout: float = 15.0):
        self.url = url
        self.timeout = timeout

    def _get(self, path: str, params: dict | None = None) -> dict:
        payload = get_json(NAME, self.url, path, params=params, timeout=self.timeout)
        if payload.get("status") != "success":
            raise BackendError(NAME, self.url, f"{path}: {payload.get('error', payload)}")
        return payload

    def query(self, expr: str, at: float | None = None) -> list[Sample]:
        params = {"query": expr}
        if at is not None:
            params["time"] = f"{at:.3f}"
        return parse_vector(self._get("/api/v1/query", params))

    def query_range(self, expr: str, start: float, end: float, step: float) -> list[Series]:
        params = {"query": expr, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}
        return parse_matrix(self._get("/api/v1/query_range", params))

    def series_names(self) -> list[str]:
        return self._get("/api/v1/label/__name__/values")["data"]

    def label_values(self, label: str) -> list[str]:
        return self._get(f"/api/v1/label/{label}/values")["data"]

    def rules(self) -> list[dict]:
        """Rule groups as Prometheus reports them (``/api/v1/rules``)."""
        return self._get("/api/v1/rules")["data"]["groups"]

    def reload(self) -> None:
        """Ask Prometheus to re-read its config and rules (needs --web.enable-lifecycle)."""
        request(NAME, self.url, "POST", "/-/reload", timeout=self.timeout)

    def health(self) -> tuple[bool, str]:
        return reachable(self.url, "/-/ready")

"""``vibes.init(instrument="auto"|"none"|[names])``: switch on the maintained upstream GenAI
instrumentations that are installed, wired to vibes' providers.

Per client library the candidates are tried in order — the official OpenTelemetry package
first, the OpenLLMetry one where no official one exists — and the first installed one wins,
so a client is never instrumented twice (which would count each call twice). One that fails
to load or to instrument is skipped with one warning naming it; nothing raises into the host.
Their spans then go through vibes' span processors like any foreign GenAI span (context,
cost, exact counters). Message content stays off unless ``capture_content`` is on, also for
instrumentations whose own default is on (OpenLLMetry's ``TRACELOOP_TRACE_CONTENT``).
"""

from __future__ import annotations

import importlib
import importlib.util
import os
from dataclasses import dataclass
from typing import Any, Iterable

from vibes_sdk._internal import guard


@dataclass(frozen=True)
class Candidate:
    module: str       # the instrumentation's module
    instrumentor: str  # its BaseInstrumentor subclass
    package: str      # the PyPI distribution (what the warning tells the user to look at)


@dataclass(frozen=True)
class Client:
    name: str                # the name users pass: instrument=["openai", ...]
    library: str             # the client library's import name: only instrumented when installed
    candidates: tuple[Candidate, ...]
    extra: str               # pip install vibes-observe[<extra>]
    #: public name the client library exports once it traces itself with OpenTelemetry: then
    #: its own spans are used and no instrumentation is added (that would count calls twice)
    native: str | None = None


def _c(module: str, cls: str, package: str) -> Candidate:
    return Candidate(module, cls, package)


CLIENTS: tuple[Client, ...] = (
    Client("openai", "openai", (
        _c("opentelemetry.instrumentation.openai_v2", "OpenAIInstrumentor", "opentelemetry-instrumentation-openai-v2"),
        _c("opentelemetry.instrumentation.openai", "OpenAIInstrumentor", "opentelemetry-instrumentation-openai"),
    ), "openai"),
    Client("google-genai", "google.genai", (
        _c("opentelemetry.instrumentation.google_genai", "GoogleGenAiSdkInstrumentor",
           "opentelemetry-instrumentation-google-genai"),
    ), "google-genai"),
    Client("anthropic", "anthropic", (
        _c("opentelemetry.instrumentation.anthropic", "AnthropicInstrumentor",
           "opentelemetry-instrumentation-anthropic"),
    ), "anthropic", native="OpenTelemetryOptions"),  # anthropic 2.x traces itself
    Client("langchain", "langchain_core", (
        _c("opentelemetry.instrumentation.langchain", "LangchainInstrumentor",
           "opentelemetry-instrumentation-langchain"),
    ), "langchain"),
    Client("openai-agents", "agents", (
        _c("opentelemetry.instrumentation.openai_agents", "OpenAIAgentsInstrumentor",
           "opentelemetry-instrumentation-openai-agents"),
    ), "agents"),
    Client("mcp", "mcp", (
        _c("opentelemetry.instrumentation.mcp", "McpInstrumentor", "opentelemetry-instrumentation-mcp"),
    ), "mcp"),
    Client("bedrock", "boto3", (
        _c("opentelemetry.instrumentation.bedrock", "BedrockInstrumentor", "opentelemetry-instrumentation-bedrock"),
    ), "all-instrumentations"),
    Client("crewai", "crewai", (
        _c("opentelemetry.instrumentation.crewai", "CrewAIInstrumentor", "opentelemetry-instrumentation-crewai"),
    ), "all-instrumentations"),
    Client("llamaindex", "llama_index", (
        _c("opentelemetry.instrumentation.llamaindex", "LlamaIndexInstrumentor",
           "opentelemetry-instrumentation-llamaindex"),
    ), "all-instrumentations"),
)
CLIENT_NAMES = tuple(c.name for c in CLIENTS)
AUTO, NONE = "auto", "none"

#: content-capture switch → (value when vibes' capture_content is on, when off). The
#: official one defaults to off; OpenLLMetry's defaults to ON, so vibes turns it off. A
#: variable the user set explicitly is their own opt-in and is left alone.
CONTENT_ENV = {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": ("true", None),
               "TRACELOOP_TRACE_CONTENT": ("true", "false"),
               "ANTHROPIC_OPEN_TELEMETRY_TRACES_CONTENT_MODE": ("content", None)}


def parse(value: Any) -> tuple[str, ...]:
    """``"auto"`` → ``("auto",)``, ``"none"``/empty → ``()``, ``"a,b"`` or a list → names.

    Raises ValueError naming an unknown client (config.py turns it into a ConfigError)."""
    if value is None:
        return ()
    items = [p.strip().lower() for p in (value.split(",") if isinstance(value, str) else value)]
    items = [p for p in items if p]
    if items in ([], [NONE]):
        return ()
    if items == [AUTO]:
        return (AUTO,)
    unknown = [p for p in items if p not in CLIENT_NAMES]
    if unknown:
        raise ValueError(f"unknown instrumentation {unknown[0]!r}: expected 'auto', 'none' or names from "
                         + ", ".join(CLIENT_NAMES))
    return tuple(dict.fromkeys(items))


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _set_content_capture(capture: bool) -> None:
    for var, (on, off) in CONTENT_ENV.items():  # read by the instrumentations when they instrument
        value = on if capture else off
        if value is not None and var not in os.environ:
            os.environ[var] = value


def _traces_itself(client: Client) -> bool:
    if client.native is None:
        return False
    try:
        return hasattr(importlib.import_module(client.library), client.native)
    except Exception:  # noqa: BLE001 - a library that fails to import is not instrumented either
        return False


def enable(requested: Iterable[str], providers: dict[str, Any], *, capture_content: bool) -> list[Any]:
    """Instrument the requested (or, for ``auto``, every installed) client; returns the
    instrumentors that are now active, for :func:`disable`."""
    requested = tuple(requested)
    if not requested:
        return []
    names = CLIENT_NAMES if requested == (AUTO,) else requested
    _set_content_capture(capture_content)
    active = []
    for client in CLIENTS:
        if client.name not in names or not _installed(client.library) or _traces_itself(client):
            continue
        for cand in client.candidates:  # the first installed candidate is the only one used
            if not _installed(cand.module):
                continue
            try:
                instrumentor = getattr(importlib.import_module(cand.module), cand.instrumentor)()
                if instrumentor.is_instrumented_by_opentelemetry:  # by hand, or a forked parent's
                    instrumentor.uninstrument()  # runtime: re-bind it to these providers
                instrumentor.instrument(**providers)
                active.append(instrumentor)
            except Exception as exc:  # noqa: BLE001 - a broken instrumentation never breaks the host
                guard.warn_once(f"instrument:{cand.package}",
                                "vibes_sdk: instrumentation %s for %s could not be enabled and is skipped (%s: %s)",
                                cand.package, client.name, type(exc).__name__, exc)
            break
        else:
            if requested != (AUTO,):
                guard.warn_once(f"instrument:{client.name}",
                                "vibes_sdk: no instrumentation for %s is installed: pip install 'vibes-observe[%s]'",
                                client.name, client.extra)
    return active


def disable(active: list[Any]) -> None:
    for instrumentor in active:
        try:
            instrumentor.uninstrument()
        except Exception as exc:  # noqa: BLE001
            guard.suppressed("uninstrument", exc, "traces")

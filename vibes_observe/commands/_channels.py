"""The running stack's notification channels, from the manifest `make up` renders next to
alertmanager.yml (names, types, severities — never secrets)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from vibes_observe.clients.endpoints import state_dir

WATCHDOG = "watchdog"


class ChannelError(Exception):
    """The manifest is missing or a rule names a channel the stack does not have."""


@dataclass(frozen=True)
class Channel:
    name: str
    type: str
    severities: tuple[str, ...]


@dataclass(frozen=True)
class Manifest:
    path: Path
    channels: tuple[Channel, ...]
    severities: tuple[str, ...]
    runbook_base_url: str
    channel_receiver: str  # format string: the Alertmanager receiver of one channel

    def named(self, names: tuple[str, ...]) -> tuple[Channel, ...]:
        known = {c.name: c for c in self.channels}
        for name in names:
            if name not in known:
                raise ChannelError(f"--channel {name!r}: the stack has no such channel "
                                   f"(channels in {self.path}: {', '.join(known) or 'none'})")
        return tuple(known[n] for n in names)

    def for_rule(self, labels: dict[str, str], channels_label: str) -> list[str]:
        """Channel names an alert with ``labels`` is delivered to."""
        if labels.get("alertname") == "Watchdog":
            return [WATCHDOG]
        if labels.get(channels_label):
            return labels[channels_label].split(",")
        return [c.name for c in self.channels if labels.get("severity") in c.severities]


def manifest_path() -> Path:
    from vibes_observe.alerting import CHANNEL_MANIFEST
    return state_dir() / "config" / "alertmanager" / CHANNEL_MANIFEST


def load() -> Manifest:
    path = manifest_path()
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        raise ChannelError(f"{path}: no channel manifest — is the stack at VIBES_HOME={state_dir()} up? "
                           "run `make up` (it writes the channels there)") from None
    except ValueError as exc:
        raise ChannelError(f"{path}: not valid JSON ({exc})") from None
    channels = tuple(Channel(c["name"], c["type"], tuple(c["severities"])) for c in doc["channels"])
    return Manifest(path, channels, tuple(doc["severities"]), doc["runbook_base_url"], doc["channel_receiver"])

"""docs/telemetry.md is generated from names.INSTRUMENTS and must not drift."""

from __future__ import annotations

from pathlib import Path

from vibes_sdk import names
from vibes_sdk._internal.contract import render_markdown

DOC = Path(__file__).resolve().parents[3] / "docs" / "telemetry.md"


def test_committed_contract_matches_generator():
    assert DOC.read_text() == render_markdown(), (
        "docs/telemetry.md drifted: run `python -m vibes_sdk._internal.contract > docs/telemetry.md`")


def test_contract_lists_every_instrument_with_unit_and_labels():
    text = render_markdown()
    for inst in names.INSTRUMENTS:
        row = next(line for line in text.splitlines() if line.startswith(f"| `{inst.name}` |"))
        assert f"`{inst.unit}`" in row and f"`{inst.prom}`" in row
        for label in inst.labels:
            assert f"`{label}`" in row

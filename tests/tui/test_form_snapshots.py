"""Snapshots of the client form's checks at 80×24 and 160×48: every error beside its field, and the
yes/no asked before a new group (SQLite, the fixed clock). Update with ``--snapshot-update`` after an
intended change of look."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.tui.test_snapshots import SIZES, settled

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


async def _filled(pilot: Pilot[None], **values: str) -> None:
    await settled(pilot)
    pilot.app.open_new_client("")  # type: ignore[attr-defined]
    await settled(pilot)
    for field, value in values.items():
        pilot.app.screen.query_one(f"#{field}", Input).value = value
    await pilot.press("ctrl+s")
    await settled(pilot)


@pytest.mark.parametrize("size", SIZES)
def test_the_form_with_every_error_beside_its_field(backend, world, console, snap_compare, size):
    async def run_before(pilot: Pilot[None]) -> None:
        await _filled(pilot, phones="12", emails="nobody-at-example", birthday="31.02.1990")

    assert snap_compare(console(), terminal_size=SIZES[size], run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_the_question_before_a_new_group(backend, world, supervisor, console, snap_compare, size):
    async def run_before(pilot: Pilot[None]) -> None:
        await _filled(pilot, name="Olga Smirnova", group="Wholesale")

    assert snap_compare(console(operator_login=supervisor), terminal_size=SIZES[size], run_before=run_before)

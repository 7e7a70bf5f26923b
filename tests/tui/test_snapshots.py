"""One snapshot per screen and modal, on SQLite with the fixed clock (deterministic data and time).

Update after an intended change of look with ``pytest tests/tui/test_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input, TextArea

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def no_blink(app) -> None:
    for widget in app.screen.query(Input):
        widget.cursor_blink = False
    for widget in app.screen.query(TextArea):
        widget.cursor_blink = False


async def settled(pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    no_blink(pilot.app)
    await pilot.pause()


def test_home_at_80x24(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=settled)


def test_home_with_results(backend, world, console, snap_compare):
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press(*"Ivanov")
        await settled(pilot)

    assert snap_compare(console(), terminal_size=(100, 30), run_before=run_before)


def open_card_then(client_id: int, *keys: str):
    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_client(client_id)
        await settled(pilot)
        if keys:
            await pilot.press(*keys)
            await settled(pilot)

    return run_before


def test_client_card(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(100, 30), run_before=open_card_then(world.ivanov_id))


def test_client_card_at_80x24_with_a_hostile_name(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.hostile_id))


def test_log_call(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.ivanov_id, "c"))


def test_note(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.ivanov_id, "n"))


def test_new_ticket(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.ivanov_id, "t"))


def test_edit_client(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.ivanov_id, "e"))


def test_new_client_with_duplicate_warning(backend, world, console, snap_compare):
    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_new_client("8 912 345 67 89")
        await settled(pilot)

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


def test_help_on_the_card(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(100, 30), run_before=open_card_then(world.ivanov_id, "f1"))


def test_reminder(backend, world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=open_card_then(world.ivanov_id, "r"))

"""Snapshots of the PBX parts of the console: the card with an unlogged call, its note form, the dial
picker (SQLite, the fixed clock). Update with ``--snapshot-update`` after an intended change of look."""

from __future__ import annotations

import pytest

from hotline.core.db import UnitOfWork
from hotline.core.services.clients import ClientDraft, create_client
from hotline.core.settings import PbxSettings
from tests.tui.conftest import OPERATOR, console_settings
from tests.tui.test_pbx_calls import pbx_call
from tests.tui.test_snapshots import open_card_then, settled

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])


def test_card_with_an_unlogged_call_and_its_note_form(backend, world, console, snap_compare, engine, clock):
    pbx_call(engine, clock)

    async def run_before(pilot) -> None:
        from hotline.tui.screens.unlogged_call_note import UnloggedCallNoteScreen
        from hotline.tui.widgets.timeline_table import TimelineTable

        await open_card_then(world.ivanov_id)(pilot)
        timeline = pilot.app.screen.query_one(TimelineTable)
        for _ in range(50):  # a loaded machine may need more rounds than settled() gives
            if any(item.unlogged for item in timeline.items):
                break
            await settled(pilot)
        timeline.move_cursor(row=next(n for n, item in enumerate(timeline.items) if item.unlogged))
        await pilot.press("u")
        for _ in range(50):
            await settled(pilot)
            if isinstance(pilot.app.screen, UnloggedCallNoteScreen):
                break
        await settled(pilot)

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


def test_dial_picker(backend, world, console, snap_compare, engine, clock):
    with UnitOfWork(engine, actor_login=OPERATOR, clock=clock) as uow:
        client_id = create_client(
            uow,
            draft=ClientDraft(
                first_name="Pavel", last_name="Two", phones=["+7 916 000-00-01", "8 495 000-00-02"]
            ),
            default_region="RU",
        ).id
    settings = console_settings().model_copy(update={"pbx": PbxSettings(extensions={"201": OPERATOR})})
    assert snap_compare(
        console(settings=settings),
        terminal_size=(80, 24),
        run_before=open_card_then(int(client_id or 0), "d"),
    )

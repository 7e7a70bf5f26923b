"""PBX calls on the card: an unlogged call shows with its real duration and is logged with a note
(u or Enter); d dials the client through the PBX listener (a dial request for the operator's extension)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import CallRecord, Interaction
from hotline.core.models.enums import Direction
from hotline.core.services.call_records import CallFacts, record_call
from hotline.core.settings import PbxSettings
from hotline.tui.screens.unlogged_call_note import UnloggedCallNoteScreen
from hotline.tui.widgets.timeline_table import TimelineTable
from tests.tui.conftest import OPERATOR, console_settings
from tests.tui.test_client_card import open_card

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes


def pbx_call(engine, clock, *, call_id: str = "1795417200.1", seconds: int = 192) -> None:
    facts = CallFacts(
        pbx_call_id=call_id, source="ami", direction=Direction.IN, number="+7 912 345-67-89",
        started_at=clock.now() - timedelta(minutes=30), operator_login=OPERATOR, state="ended",
        duration_seconds=seconds, outcome="answered",
    )  # fmt: skip
    with UnitOfWork(engine, clock=clock) as uow:
        record_call(uow, facts=facts, default_region="RU")


async def test_an_unlogged_pbx_call_is_shown_and_logged_with_a_note(world, console, settle, engine, clock):
    pbx_call(engine, clock)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        timeline = card.query_one(TimelineTable)
        [row] = [n for n, item in enumerate(timeline.items) if item.unlogged]
        assert timeline.items[row].summary == "unlogged · answered · PBX 3:12"
        timeline.move_cursor(row=row)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, UnloggedCallNoteScreen)
        app.screen.query_one(TextArea).insert("Asked for the invoice again")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        await settle(pilot)
        items = card.query_one(TimelineTable).items
        assert not [item for item in items if item.unlogged]
        assert "answered · Asked for the invoice again · PBX 3:12" in [item.summary for item in items]
    with UnitOfWork(engine, readonly=True) as uow:
        logged = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert (logged.duration_seconds, logged.notes) == (192, "Asked for the invoice again")
        record = uow.session.exec(select(CallRecord)).one()
        assert record.interaction_id == logged.id


async def test_u_on_a_line_that_is_not_an_unlogged_call_says_so(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("u")
        await settle(pilot)
        assert app.screen is card
        assert any("unlogged call" in str(n.message) for n in app._notifications)


async def test_d_dials_the_clients_phone_from_my_extension(world, console, settle, engine):
    settings = console_settings().model_copy(update={"pbx": PbxSettings(extensions={"201": OPERATOR})})
    app = console(settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("d")
        await settle(pilot)
        assert any("your phone (201) rings first" in str(n.message) for n in app._notifications)
    with UnitOfWork(engine, readonly=True) as uow:
        request = uow.session.exec(select(CallRecord)).one()
    assert (request.state, request.number, request.extension, request.operator_login, request.direction) == (
        "dialing", "+79123456789", "201", OPERATOR, "out",
    )  # fmt: skip
    assert request.client_id == world.ivanov_id


async def test_d_at_zero_delay_dials_once(world, console, settle, engine):
    """Keys "ddd" handed over at once wrote a dial request per key: the operator's phone, then the
    client's, rang three times. A request refused (no extension) may be tried again at once."""
    from tests.tui.keys_at_once import type_at_once

    settings = console_settings().model_copy(update={"pbx": PbxSettings(extensions={"201": OPERATOR})})
    app = console(settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_card(app, pilot, settle, world.ivanov_id)
        type_at_once(app, "ddd")
        await settle(pilot)
        said = [str(n.message) for n in app._notifications]
        assert said.count("Already dialling: your phone rings first.") == 2, said
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(list(uow.session.exec(select(CallRecord)))) == 1
    refused = console()  # no extension: each d is refused, and says so
    async with refused.run_test(size=(100, 30)) as pilot:
        await open_card(refused, pilot, settle, world.ivanov_id)
        await pilot.press("d")
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        said = [str(n.message) for n in refused._notifications]
        assert sum("no extension is mapped" in line for line in said) == 2, said


async def test_d_without_an_extension_is_a_readable_error(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("d")
        await settle(pilot)
        assert any("no extension is mapped" in str(n.message) for n in app._notifications)
    with UnitOfWork(engine, readonly=True) as uow:
        assert list(uow.session.exec(select(CallRecord))) == []

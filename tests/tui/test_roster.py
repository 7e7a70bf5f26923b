"""The roster in the console (``w`` on the queues screen): who works which queue, today's shifts, who is
on shift now, exceptions, and the contracts ending soon; names shown as data."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import update
from textual.widgets import DataTable, Static

from hotline.core.db import UnitOfWork
from hotline.core.models import Operator
from hotline.core.models.enums import Role
from hotline.core.services.contracts import add_contract
from hotline.core.services.operators import add_operator
from hotline.core.services.shifts import add_exception, join_queue, set_shifts
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.roster import RosterScreen
from tests.tui.conftest import HOSTILE_NAME, wait_for_workers


@pytest.fixture
def rostered(world, engine, clock):
    """anna works days in Support; nina nights; pete is on vacation; Ivanov's contract ends soon."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="nina", role=Role.OPERATOR, display_name="Nina")
        # Stored before core refused control characters in a display name: still shown as data.
        uow.session.execute(
            update(Operator).where(Operator.login == "nina").values(display_name=HOSTILE_NAME)
        )
        add_operator(uow, login="pete", role=Role.OPERATOR, display_name="Pete")
        set_shifts(uow, login="anna", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        set_shifts(uow, login="nina", days="all", hours="22:00-06:00", timezone="Europe/Moscow")
        set_shifts(uow, login="pete", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        add_exception(
            uow, login="pete", kind="vacation", starts_on=date(2026, 11, 20), ends_on=date(2026, 12, 4)
        )
        for login in ("anna", "nina", "pete"):
            join_queue(uow, login=login, queue="Support")
        add_contract(
            uow,
            client_id=world.ivanov_id,
            level="gold",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 12, 5),
        )


async def _open_roster(app, pilot, settle) -> RosterScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, QueuesScreen)
    await pilot.press("w")
    await settle(pilot)
    assert isinstance(app.screen, RosterScreen)
    return app.screen


async def test_w_on_the_queues_shows_who_is_on_shift(rostered, console, settle) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_roster(app, pilot, settle)
        table = screen.query_one("#roster-table", DataTable)
        rows = {
            str(table.get_row_at(i)[1]): [str(cell) for cell in table.get_row_at(i)]
            for i in range(table.row_count)
        }
        assert rows["anna"][0] == "●" and rows["anna"][4] == "09:00-18:00"
        assert rows["nina"][0] == "·" and rows["nina"][4] == "22:00-06:00" and "\x1b" not in rows["nina"][2]
        assert rows["pete"][0] == "·" and rows["pete"][5] == "vacation until 2026-12-04"
        assert "1 of 3 on shift at 10:00" in str(screen.query_one("#roster-title", Static).render())
        contracts = str(screen.query_one("#roster-contracts", Static).render())
        assert "2026-12-05  gold  Ivan Ivanov" in contracts
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_roster_at_80x24(backend, rostered, console, snap_compare):
    async def run_before(pilot) -> None:
        for key in ("", "f3", "w"):
            if key:
                await pilot.press(key)
            for _ in range(4):
                await pilot.pause()
                await wait_for_workers(pilot.app)
        await pilot.pause()

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


async def test_the_minutely_reread_keeps_the_cursor_where_it_was(rostered, console, settle) -> None:
    """The roster reads itself again every minute: the cursor jumped back to the first operator each time,
    under a supervisor reading the tenth."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_roster(app, pilot, settle)
        table = screen.query_one("#roster-table", DataTable)
        await pilot.press("down", "down")
        await settle(pilot)
        chosen = str(table.get_row_at(table.cursor_row)[1])
        assert table.cursor_row == 2
        screen.reload()  # what the minute's timer does
        await settle(pilot)
        assert table.cursor_row == 2 and str(table.get_row_at(2)[1]) == chosen


async def test_a_roster_under_another_screen_reads_nothing_until_back_on_top(
    rostered, console, settle, monkeypatch
) -> None:
    """The roster re-read itself every minute under any screen put over it (F3 from it, a call's card),
    for as long as the console ran; it reads when seen, and on return what it missed."""
    from hotline.core.services import shifts
    from hotline.tui.screens import roster
    from tests.tui.conftest import wait_until

    monkeypatch.setattr(roster, "RELOAD_SECONDS", 0.05)
    reads = []
    read_roster = shifts.roster

    def counted(*args, **kwargs):
        reads.append(1)
        return read_roster(*args, **kwargs)

    monkeypatch.setattr(shifts, "roster", counted)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_roster(app, pilot, settle)
        await wait_until(pilot, lambda: len(reads) >= 3, "the roster re-reading itself")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, QueuesScreen), "the queues")
        await settle(pilot)
        hidden = len(reads)
        for _ in range(10):  # ten periods
            await pilot.pause(0.05)
        await settle(pilot)
        assert len(reads) == hidden
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen and len(reads) > hidden, "read on return")

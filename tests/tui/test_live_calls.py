"""Live calls in the console: a stale pop is a missed call (F9, the caller one key away), every console of
the operator rings, and a call lasts from the ring or from opening the card (an injected clock)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input

from hotline.core.clock import FixedClock
from hotline.core.db import UnitOfWork
from hotline.core.models import Interaction
from hotline.core.services.screen_pop import request_screen_pop, screen_pop_taker
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.log_call import LogCallScreen
from hotline.tui.screens.missed_calls import MissedCallsScreen
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.widgets.call_timer import CallTimer
from tests.tui.conftest import wait_for_workers, wait_until

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes


def ring(engine, clock, number: str, *, ago: timedelta = timedelta(0)) -> int:
    with UnitOfWork(engine, clock=FixedClock(clock.now() - ago)) as uow:
        return int(request_screen_pop(uow, operator_login="anna", number=number).id or 0)


async def test_a_stale_pop_is_a_missed_call_and_the_caller_is_one_key_away(
    world, console, settle, engine, clock
):
    ring(engine, clock, world.ivanov_phone, ago=timedelta(minutes=4, seconds=43))
    fresh = ring(engine, clock, "+7 999 000-11-22", ago=timedelta(seconds=40))
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # The live updates look at the pops at once: give them time to (wrongly) pop.
        await wait_until(pilot, lambda: app.live is not None and app.live.started_at is not None, "started")
        for _ in range(10):
            await pilot.pause(0.05)
        assert isinstance(app.screen, HomeScreen), "a pop older than 30 s never opens as a live call"
        with UnitOfWork(engine, readonly=True) as uow:
            assert screen_pop_taker(uow, pop_id=fresh) is None
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, MissedCallsScreen)
        table = app.screen.query_one(DataTable)
        assert table.row_count == 2
        rows = [[str(cell) for cell in table.get_row_at(row)] for row in range(2)]
        assert rows[0][1:] == ["+7 999 000-11-22", "unknown number"]  # newest first
        assert rows[1][1:] == [world.ivanov_phone, "Ivan Ivanov"]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.ivanov_id
        assert app.screen.call_started_at is None and not app.screen.query(CallTimer)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("d")  # the called-back one leaves the list
        await settle(pilot)
        assert isinstance(app.screen, MissedCallsScreen)
        assert app.screen.query_one(DataTable).row_count == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_more_missed_calls_than_a_page_are_said_and_read_as_the_cursor_goes_down(
    backend, world, console, settle, engine, clock, monkeypatch
):
    """More missed calls than the list reads (200): it said "Missed calls (200)" and the older ones were
    nowhere; the title says there are older ones, and the cursor nearing the last one reads them."""
    from hotline.core.services import screen_pop
    from hotline.tui.screens import missed_calls

    monkeypatch.setattr(screen_pop, "MISSED_CALLS_LIMIT", 6)  # what core read at most
    monkeypatch.setattr(missed_calls, "PAGE", 6, raising=False)
    for minutes in range(10):
        ring(engine, clock, f"+7 999 000-11-{minutes:02d}", ago=timedelta(minutes=5 + minutes))
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, MissedCallsScreen)
        title = str(screen.query_one("#missed-title").render())
        assert title.startswith("Missed calls (the newest 6; older ones below"), title
        table = screen.query_one(DataTable)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == 10
        assert str(table.get_row_at(9)[1]) == "+7 999 000-11-09"
        assert str(screen.query_one("#missed-title").render()) == "Missed calls (10)"


async def test_both_consoles_of_one_operator_ring(world, console, settle, engine, clock):
    first, second = console(poll_screen_pops=True), console(poll_screen_pops=True)
    async with first.run_test(size=(100, 30)) as pilot_one, second.run_test(size=(100, 30)) as pilot_two:
        await settle(pilot_one)
        await settle(pilot_two)
        pop_id = ring(engine, clock, world.ivanov_phone)
        for pilot in (pilot_one, pilot_two):
            await wait_until(pilot, lambda p=pilot: isinstance(p.app.screen, ClientCardScreen), "a card")
            assert pilot.app.screen.client_id == world.ivanov_id
            assert pilot.app.screen.call_started_at == clock.now()
    with UnitOfWork(engine, readonly=True) as uow:
        assert screen_pop_taker(uow, pop_id=pop_id) in {first.live.label, second.live.label}
    assert not first.live._thread.is_alive() and not second.live._thread.is_alive(), "stopped on exit"


async def test_an_unknown_callers_call_lasts_from_the_ring(world, console, settle, engine, clock):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        ring(engine, clock, "+7 999 555-44-33")
        await wait_until(pilot, lambda: isinstance(app.screen, NewClientScreen), "the new-client form")
        clock.advance(seconds=22)
        app.screen.query_one("#name", Input).value = "New Caller"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ClientCardScreen), "the new card")
        assert app.screen.query_one(CallTimer).render().plain.endswith("0:22")
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, LogCallScreen), "the call form")
        assert app.screen.query_one("#duration", Input).value == "0:22"
        clock.advance(seconds=3)
        app.screen._tick()
        assert app.screen.query_one("#duration", Input).value == "0:25", "the field runs with the call"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ClientCardScreen), "the card again")
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert call.duration_seconds == 25
        assert call.started_at == clock.now() - timedelta(seconds=25)


@pytest.mark.parametrize(
    "number", ["79165554433@sip.example.com", "[@click=app.quit]79165554433", "8 916 555-44-33 (Anna)"]
)
async def test_an_unknown_callers_number_is_the_forms_phone_whatever_it_holds(
    world, console, settle, engine, clock, number
):
    """The pop's form was prefilled as a lookup query is: a SIP address's "@" put the caller's number in
    Emails, letters or markup put it in Name, and Phones stayed empty (README: "prefilled with the
    number"). The missed call's Enter opens the same form."""
    ring(engine, clock, number, ago=timedelta(minutes=2))  # missed before the console started
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, NewClientScreen), "the form from F9")
        assert app.screen.query_one("#phones", Input).value == number
        await pilot.press("escape", "escape")
        await settle(pilot)
        ring(engine, clock, number)
        await wait_until(pilot, lambda: isinstance(app.screen, NewClientScreen), "the new-client form")
        fields = {field.id: field.value for field in app.screen.query(Input)}
        assert (fields["phones"], fields["emails"], fields["name"]) == (number, "", "")
        assert app.is_running


async def test_a_call_found_in_the_lookup_lasts_from_opening_the_card_and_can_be_corrected(
    world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"Ivanov")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        opened = clock.now()
        clock.advance(seconds=40)
        await pilot.press("c")
        await settle(pilot)
        duration = app.screen.query_one("#duration", Input)
        assert duration.value == "0:40"
        duration.value = "1:05"  # the operator corrects it; the clock no longer overrides it
        clock.advance(seconds=10)
        app.screen._tick()
        assert duration.value == "1:05"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert (call.duration_seconds, call.started_at, call.client_id) == (65, opened, world.ivanov_id)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_missed_calls(backend, world, console, engine, clock, snap_compare):
    ring(engine, clock, world.ivanov_phone, ago=timedelta(minutes=4, seconds=43))
    ring(engine, clock, "+7 999 000-11-22", ago=timedelta(hours=2))

    async def run_before(pilot) -> None:
        for _ in range(4):
            await pilot.pause()
            await wait_for_workers(pilot.app)
        await pilot.press("f9")
        # The list is read by a worker the new screen starts: wait for its rows, not for a number of
        # pauses (a loaded CI machine once took the picture before the rows were in).
        await wait_until(
            pilot,
            lambda: (
                isinstance(pilot.app.screen, MissedCallsScreen)
                and pilot.app.screen.query_one(DataTable).row_count == 2
            ),
            "both missed calls listed",
        )
        for _ in range(4):
            await pilot.pause()
            await wait_for_workers(pilot.app)

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


async def test_reminders_appear_when_created_and_announce_when_due(world, console, settle, engine, clock):
    from hotline.core.services.reminders import create_reminder
    from hotline.tui.widgets.reminder_list import REFRESH_SECONDS, ReminderList

    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        panel = app.screen.query_one("#reminders", ReminderList)
        with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:  # another console, the CLI
            reminder = create_reminder(
                uow, text="Call back Ivanov", due_at=clock.now() + timedelta(seconds=1)
            )
            reminder_id = reminder.id
        # Well before the panel's periodic re-read: the change signal brought it.
        started = time.monotonic()
        await wait_until(
            pilot, lambda: [view.id for view in panel.reminders] == [reminder_id], "the reminder"
        )
        assert time.monotonic() - started < REFRESH_SECONDS / 3
        assert reminder_id not in panel.announced
        clock.advance(seconds=1)  # the panel's timer fires at the due time and finds it due
        await wait_until(pilot, lambda: reminder_id in panel.announced, "the due reminder's toast")
        assert time.monotonic() - started < REFRESH_SECONDS / 3


async def test_a_pops_card_comes_read_with_the_pop_then_its_timeline_and_reminders(
    world, console, settle, engine, clock
):
    """The card is read in the transaction that takes the pop and shown as the card mounts; its
    timeline and its reminders tab are filled after the first paint, as on a card opened by hand."""
    from hotline.core.services.reminders import create_reminder
    from hotline.tui.widgets.reminder_list import ReminderList
    from hotline.tui.widgets.timeline_table import TimelineTable

    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        reminder_id = create_reminder(
            uow,
            text="Ask about the invoice",
            due_at=clock.now() + timedelta(days=1),
            client_id=world.ivanov_id,
        ).id
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        # The card's rules were read with the app's: the first pop does not parse the stylesheet again.
        assert app.stylesheet.has_source(str(ClientCardScreen.CSS_PATH), "")
        ring(engine, clock, world.ivanov_phone)
        await wait_until(pilot, lambda: isinstance(app.screen, ClientCardScreen), "the card")
        card = app.screen
        assert card.card is not None and card.card.client.id == world.ivanov_id
        tickets = card.query_one("#tickets-table", DataTable)
        assert tickets.row_count == len(card.card.open_ticket_numbers) >= 1
        await wait_until(pilot, lambda: bool(card.query(ReminderList)), "the reminders tab's list")
        panel = card.query_one("#reminder-list", ReminderList)
        await wait_until(
            pilot, lambda: [view.id for view in panel.reminders] == [reminder_id], "the reminder"
        )
        assert card.query_one(TimelineTable).items, "the calls on the timeline"
        await pilot.press("3")
        await settle(pilot)
        assert card.query_one("#tabs").active == "reminders"


async def test_a_card_closed_before_its_first_paint_loads_nothing_after(world, console, settle):
    """A card closed in the turn it opened (Esc typed ahead of it): what it meant to load after its first
    paint is not loaded into the closed screen, and nothing fails."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        card = app.screen_stack[-1]
        assert isinstance(card, ClientCardScreen)
        await pilot.pause()  # mounted: its after-the-first-paint call is queued
        app.pop_screen()
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert not card.query("#reminder-list"), "no reminders list mounted into the closed card"

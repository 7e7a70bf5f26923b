"""Live queue and ticket screens: tickets written through another connection (a reply's mail sent
included) show without a key, a burst of writes is folded into a few reloads, and the selection and
scroll position survive a reload."""

from __future__ import annotations

import asyncio
import time

import pytest
from sqlmodel import select

from hotline.core.db import UnitOfWork
from hotline.core.models.enums import TicketStatus
from hotline.core.models.mail import OutboxMessage
from hotline.core.services.mail.delivery import mark_sent
from hotline.core.services.tickets import add_note, change_status, create_ticket, reply_ticket
from hotline.tui.coalesce import RELOAD_GAP_SECONDS
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.ticket import TicketScreen
from hotline.tui.widgets.ticket_chronology import TicketChronology
from hotline.tui.widgets.ticket_header import TicketHeader
from hotline.tui.widgets.ticket_table import TicketTable
from tests.conftest import SENDING
from tests.tui.conftest import wait_until

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

BURST = 200


def new_ticket(engine, clock, subject: str) -> int:
    with UnitOfWork(engine, clock=clock) as uow:
        return create_ticket(uow, subject=subject, queue="Support", body="written elsewhere").number


def new_tickets(engine, clock, count: int) -> list[int]:
    """``count`` tickets, each in its own transaction, as the mail poller writes them one by one."""
    return [new_ticket(engine, clock, f"burst {index}") for index in range(count)]


def note(engine, clock, number: int, body: str) -> None:
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        add_note(uow, number=number, expected_version=None, body=body, sla=None)


def move(engine, clock, number: int, status: TicketStatus) -> None:
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        change_status(uow, number=number, expected_version=None, status=status, sla=None)


def listed(screen: QueuesScreen) -> list[int]:
    return list(screen.query_one(TicketTable).rows_shown)


def status_shown(screen: QueuesScreen, number: int) -> str:
    return screen.query_one(TicketTable).get_cell(str(number), "status").plain


async def open_live_queues(app, pilot, settle) -> QueuesScreen:
    await settle(pilot)
    await wait_until(pilot, lambda: app.live is not None and app.live.watching.is_set(), "listening")
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, QueuesScreen)
    return app.screen


async def test_queue_screen_shows_a_ticket_created_elsewhere_without_a_key(
    world, console, settle, engine, clock
):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_queues(app, pilot, settle)
        assert listed(screen) == [world.ticket_number]
        number = await asyncio.to_thread(new_ticket, engine, clock, "Arrived by mail")
        await wait_until(pilot, lambda: number in listed(screen), f"#{number} listed")
        assert "2 tickets" in str(screen.query_one("#queues-total").render())


async def test_queue_screen_follows_a_status_change_and_keeps_the_selection(
    world, console, settle, engine, clock
):
    numbers = [new_ticket(engine, clock, f"waiting {index}") for index in range(3)]
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_queues(app, pilot, settle)
        table = screen.query_one(TicketTable)
        await pilot.press("down", "down")
        chosen = table.selected_row()
        assert chosen is not None
        other = next(number for number in numbers if number != chosen.number)
        await asyncio.to_thread(move, engine, clock, other, TicketStatus.PENDING)
        await wait_until(pilot, lambda: status_shown(screen, other) == "pending", f"#{other} pending")
        assert table.selected_row().number == chosen.number  # type: ignore[union-attr]
        assert table.cursor_row == 2


async def test_queue_screen_keeps_the_scroll_position_across_a_pushed_reload(
    world, console, settle, engine, clock
):
    new_tickets(engine, clock, 60)
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await open_live_queues(app, pilot, settle)
        table = screen.query_one(TicketTable)
        for _ in range(40):
            await pilot.press("down")
        await settle(pilot)
        chosen, top = table.selected_row(), round(table.scroll_y)
        assert chosen is not None and top > 0
        before = screen.live_reloads.runs
        await asyncio.to_thread(note, engine, clock, world.ticket_number, "touched elsewhere")
        await wait_until(pilot, lambda: screen.live_reloads.runs > before, "a pushed reload")
        await settle(pilot)
        assert table.selected_row().number == chosen.number  # type: ignore[union-attr]
        assert round(table.scroll_y) == top


async def test_a_burst_of_writes_is_folded_into_a_few_reloads(world, console, settle, engine, clock):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_queues(app, pilot, settle)
        before = screen.live_reloads.runs
        started = time.monotonic()
        numbers = await asyncio.to_thread(new_tickets, engine, clock, BURST)
        await wait_until(
            pilot, lambda: set(numbers) <= set(screen.query_one(TicketTable).rows_shown), "the burst listed"
        )
        elapsed = time.monotonic() - started
        reloads = screen.live_reloads.runs - before
        # At most one reload per gap while the burst lasted (and the one that ends it), never one each.
        assert 1 <= reloads <= elapsed / RELOAD_GAP_SECONDS + 2, (reloads, elapsed)
        assert reloads < BURST / 4


async def open_live_ticket(app, pilot, settle, number: int) -> TicketScreen:
    await settle(pilot)
    await wait_until(pilot, lambda: app.live is not None and app.live.watching.is_set(), "listening")
    app.open_ticket(number)
    await settle(pilot)
    assert isinstance(app.screen, TicketScreen)
    return app.screen


def chronology_text(screen: TicketScreen) -> str:
    return "\n".join(strip.text for strip in screen.query_one(TicketChronology).lines)


async def test_ticket_screen_shows_a_note_and_a_status_change_made_elsewhere(
    world, console, settle, engine, clock
):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_ticket(app, pilot, settle, world.ticket_number)
        await asyncio.to_thread(note, engine, clock, world.ticket_number, "Called back, all settled")
        await wait_until(pilot, lambda: "Called back, all settled" in chronology_text(screen), "the note")
        await asyncio.to_thread(move, engine, clock, world.ticket_number, TicketStatus.PENDING)
        await wait_until(
            pilot,
            lambda: screen.detail is not None and screen.detail.ticket.status == "pending",
            "the status",
        )
        assert "pending" in str(screen.query_one(TicketHeader).render())


async def test_ticket_screen_ignores_other_tickets_writes(world, console, settle, engine, clock):
    other = new_ticket(engine, clock, "someone else's")
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_ticket(app, pilot, settle, world.ticket_number)
        loads = screen.loads
        for index in range(5):
            await asyncio.to_thread(note, engine, clock, other, f"elsewhere {index}")
        # Then one on this ticket: once it shows, every earlier signal was handled too.
        await asyncio.to_thread(note, engine, clock, world.ticket_number, "this one")
        await wait_until(pilot, lambda: "this one" in chronology_text(screen), "the note on this ticket")
        assert screen.loads == loads + 1


async def test_ticket_screen_burst_is_folded_and_keeps_the_reader_in_place(
    world, console, settle, engine, clock
):
    for index in range(30):
        note(engine, clock, world.ticket_number, f"earlier line {index}")
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 24)) as pilot:
        screen = await open_live_ticket(app, pilot, settle, world.ticket_number)
        log = screen.query_one(TicketChronology)
        log.scroll_to(y=5, animate=False)
        await settle(pilot)
        assert round(log.scroll_y) == 5
        loads = screen.loads
        started = time.monotonic()

        def burst() -> None:
            for index in range(40):
                note(engine, clock, world.ticket_number, f"burst line {index}")

        await asyncio.to_thread(burst)
        await wait_until(
            pilot,
            lambda: screen.detail is not None and "burst line 39" in screen.detail.events[-1].body,
            "the last line",
        )
        elapsed = time.monotonic() - started
        assert screen.loads - loads <= elapsed / RELOAD_GAP_SECONDS + 2
        await settle(pilot)
        assert round(log.scroll_y) == 5, "a reader scrolled up stays where they were"


def reply(engine, clock, number: int, body: str) -> None:
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        reply_ticket(uow, number=number, expected_version=None, body=body, sla=None, sending=SENDING)


def sent(engine, clock) -> None:
    """What the mail sender records once the server took the reply."""
    with UnitOfWork(engine, clock=clock) as uow:
        mark_sent(uow, outbox_id=int(uow.session.exec(select(OutboxMessage.id)).one()))


async def test_ticket_screen_follows_a_reply_mail_from_queued_to_sent_without_polling(
    world, console, settle, engine, clock
):
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_ticket(app, pilot, settle, world.ticket_number)
        await asyncio.to_thread(reply, engine, clock, world.ticket_number, "Sent from another console.")
        await wait_until(pilot, lambda: "mail: queued" in chronology_text(screen), "the queued reply")
        await asyncio.to_thread(sent, engine, clock)
        await wait_until(pilot, lambda: "→ sent" in chronology_text(screen), "the reply sent")


async def test_a_queue_screen_under_a_ticket_reads_nothing_until_back_on_top(
    world, console, settle, engine, clock
):
    """The queue list right under an open ticket re-read itself on every ticket written anywhere (Textual
    calls the screen under the top one "current"), unseen; it reads once it is back on top."""
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_live_queues(app, pilot, settle)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TicketScreen), "the ticket")
        ticket = app.screen
        runs = screen.live_reloads.runs
        other = await asyncio.to_thread(new_ticket, engine, clock, "Arrived by mail")
        await asyncio.to_thread(note, engine, clock, world.ticket_number, "written elsewhere")
        await wait_until(pilot, lambda: ticket.loads >= 2, "the open ticket read again")
        for _ in range(2 * round(RELOAD_GAP_SECONDS / 0.05)):  # a folded reload would have run by now
            await pilot.pause(0.05)
        assert screen.live_reloads.runs == runs
        await pilot.press("escape")
        await wait_until(pilot, lambda: other in listed(screen), f"#{other} listed on return")

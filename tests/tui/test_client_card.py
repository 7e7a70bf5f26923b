"""The client's card: header, timeline paging, open tickets, and its keys (c, n, t, e, m, Esc)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input, Select, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Interaction, Queue, Ticket
from hotline.core.models.enums import InteractionKind
from hotline.core.services.interactions import log_interaction
from hotline.tui.screens.client_card import TIMELINE_PAGE, ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.log_call import LogCallScreen, parse_duration
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.screens.new_ticket import NewTicketScreen
from hotline.tui.screens.note import NoteScreen
from hotline.tui.widgets.client_header import ClientHeader
from hotline.tui.widgets.timeline_table import TimelineTable
from tests.tui.test_untrusted_and_errors import screen_text


async def open_card(app, pilot, settle, client_id: int) -> ClientCardScreen:
    await settle(pilot)
    app.open_client(client_id)
    await settle(pilot)
    assert isinstance(app.screen, ClientCardScreen)
    return app.screen


async def test_card_shows_header_timeline_and_open_tickets(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        header = card.query_one(ClientHeader).render()
        text = str(header)
        for expected in ("Ivan Ivanov", "+7 912 345-67-89", "ivanov@example.com", "VIP", "wholesale"):
            assert expected in text
        timeline = card.query_one(TimelineTable)
        kinds = [item.kind for item in timeline.items]
        assert kinds.count("call") == 3
        assert timeline.items == sorted(timeline.items, key=lambda item: item.at, reverse=True)
        tickets = card.query_one("#tickets-table", DataTable)
        assert tickets.row_count == 1
        await pilot.press("2")
        assert card.query_one("#tabs").active == "tickets"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_timeline_pages_lazily(world, console, settle, engine, clock):
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for minute in range(2 * TIMELINE_PAGE + 7):
            log_interaction(
                uow,
                client_id=world.hostile_id,
                kind=InteractionKind.NOTE,
                notes=f"note {minute}",
                started_at=clock.now() - timedelta(minutes=minute),
            )
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.hostile_id)
        timeline = card.query_one(TimelineTable)
        assert len(timeline.items) == TIMELINE_PAGE
        await pilot.press("m")
        await settle(pilot)
        assert len(timeline.items) == 2 * TIMELINE_PAGE
        timeline.move_cursor(row=timeline.row_count - 1)
        await settle(pilot)
        assert len(timeline.items) == 2 * TIMELINE_PAGE + 7
        assert timeline.exhausted
        summaries = [item.summary for item in timeline.items]
        assert summaries[0] == "note 0" and summaries[-1] == f"note {2 * TIMELINE_PAGE + 6}"
        assert len(set(summaries)) == len(summaries)


async def test_c_logs_a_call_in_a_few_keys(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        before = len(card.query_one(TimelineTable).items)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, LogCallScreen)
        app.screen.query_one("#duration", Input).value = "2:05"
        app.screen.query_one("#notes", TextArea).insert("Wants a discount")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        assert len(card.query_one(TimelineTable).items) == before + 1
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert (call.kind, call.direction, call.outcome) == ("call", "in", "resolved")
        assert (call.duration_seconds, call.notes, call.client_id) == (
            125,
            "Wants a discount",
            world.ivanov_id,
        )


async def test_escape_cancels_the_call_form(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        assert len(uow.session.exec(select(Interaction)).all()) == 3


async def test_n_adds_a_note_and_t_opens_a_ticket(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press("ctrl+s")  # empty: refused, the form stays
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        app.screen.query_one("#body", TextArea).insert("Prefers email")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        assert "Prefers email" in [item.summary for item in card.query_one(TimelineTable).items]
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, NewTicketScreen)
        app.screen.query_one("#subject", Input).value = "Discount request"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.subject == "Discount request")).one()
        assert ticket.client_id == world.ivanov_id


async def test_e_edits_the_client(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        assert form.query_one("#name", Input).value == "Ivan Ivanov"
        assert form.query_one("#phones", Input).value == "+7 912 345-67-89"
        form.query_one("#name", Input).value = "Ivan I. Ivanov"
        form.query_one("#tags", Input).value = "wholesale, vip"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
        text = str(card.query_one(ClientHeader).render())
        assert "Ivan I. Ivanov" in text and "vip" in text


async def test_missing_client_is_a_readable_toast_and_the_console_stays(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_card(app, pilot, settle, 999_999)
        messages = [notification.message for notification in app._notifications]
        assert any("no client with id 999999" in message for message in messages)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


@pytest.mark.parametrize(("text", "seconds"), [("", None), ("5", 300), ("2:05", 125), ("1:02:03", 3723)])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == seconds


def test_parse_duration_refuses_junk():
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration("12:ab")


@pytest.mark.parametrize("text", ["1:60", "0:99", "1:60:00", "1:00:60"])
def test_parse_duration_refuses_60_seconds_or_minutes(text):
    """``1:60`` was logged as 2:00 without a word."""
    with pytest.raises(ValueError, match="go up to 59"):
        parse_duration(text)


async def test_queue_names_with_brackets_are_offered_as_they_are(world, console, settle, engine):
    """A queue named 'Sales [EU]' was offered as 'Sales ' and one named '[link=x:y]Q' crashed the console
    (MarkupError) when the new ticket's queue list opened; chosen, the ticket goes to that queue."""
    from hotline.core.services.queues import ensure_queue

    with UnitOfWork(engine) as uow:
        ensure_queue(uow, name="Sales [EU]")
        ensure_queue(uow, name="[link=x:y]Q")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_card(app, pilot, settle, world.ivanov_id)
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        form.query_one("#subject", Input).value = "Bracketed"
        await pilot.press("tab", "enter")  # the queue list opens
        await settle(pilot)
        shown = screen_text(app)
        assert "Sales [EU]" in shown and "[link=x:y]Q" in shown
        await pilot.press("escape")
        await settle(pilot)
        form.query_one("#queue", Select).value = "Sales [EU]"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.subject == "Bracketed")).one()
        assert uow.session.get(Queue, ticket.queue_id).name == "Sales [EU]"


async def test_enter_on_a_note_opens_its_whole_text(world, console, settle, engine, clock):
    """A long note ended in "…" on the card (its first line only, cut at the column's width) and could not
    be read in full anywhere in the console; Enter on its line opens the whole text, scrollable, read-only."""
    from textual.widgets import Static

    from hotline.tui.screens.timeline_text import TimelineTextScreen

    words = "The client says the invoice " + "was charged twice " * 40 + "\nSecond line [bold]kept[/bold]."
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        log_interaction(uow, client_id=world.hostile_id, kind=InteractionKind.NOTE, notes=words)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.hostile_id)
        timeline = card.query_one(TimelineTable)
        timeline.move_cursor(row=0)
        timeline.focus()
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        reader = app.screen
        assert isinstance(reader, TimelineTextScreen), app.screen_stack
        shown = str(reader.query_one("#timeline-text", Static).render())
        assert words.split("\n")[0] in shown
        assert "Second line [bold]kept[/bold]." in shown
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card


async def test_more_open_tickets_than_the_card_reads_are_counted_and_read_as_the_cursor_nears_the_end(
    world, console, settle, engine, clock, monkeypatch
):
    """A client with more open tickets than the card reads at first (200): the tab said "Open tickets
    (200)" and listed the oldest 200, the newer ones nowhere on the card; the tab counts them all, and the
    cursor nearing the last row shown reads the next ones."""
    from hotline.core.services.tickets import create_ticket
    from hotline.tui import messages

    monkeypatch.setattr(messages, "OPEN_TICKETS_ON_CARD", 8)
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for n in range(11):
            create_ticket(uow, subject=f"ticket {n}", queue="Support", client_id=world.ivanov_id)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        assert str(card.query_one("#tabs").get_tab("tickets").label) == "Open tickets (12)"
        await pilot.press("2")
        tickets = card.query_one("#tickets-table", DataTable)
        assert tickets.row_count == 8
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert tickets.row_count == 12
        assert str(tickets.get_row_at(11)[-1]) == "ticket 10"
        card.reload()  # a call logged: the card read again, the table not doubled
        await settle(pilot)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert tickets.row_count == 12


@pytest.mark.both_backends  # the live signal of another connection's write
async def test_the_cards_open_tickets_follow_changes_made_on_the_ticket_and_elsewhere(
    world, console, settle, engine, clock
):
    """The card's open tickets were read once: a ticket set to pending on its screen was still "new" on the
    card after Esc, and a ticket opened for the client elsewhere (a mail) never showed while the card did."""
    from hotline.core.services.tickets import create_ticket
    from hotline.tui.screens.ticket import TicketScreen
    from tests.tui.conftest import wait_until

    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        tickets = card.query_one("#tickets-table", DataTable)
        await pilot.press("2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # new → open, pending
        await wait_until(pilot, lambda: app.screen.detail.ticket.status == "pending", "pending")
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: app.screen is card and str(tickets.get_row_at(0)[1]) == "pending",
            "the status changed on the ticket",
        )
        with UnitOfWork(engine, clock=clock) as uow:  # the mail poller, say
            number = create_ticket(uow, subject="By mail", queue="Support", client_id=world.ivanov_id).number
        await wait_until(pilot, lambda: tickets.row_count == 2, "the ticket written elsewhere")
        assert str(tickets.get_row_at(1)[0]) == f"#{number}"
        assert str(card.query_one("#tabs").get_tab("tickets").label) == "Open tickets (2)"


async def test_the_cards_timeline_shows_a_note_written_on_the_ticket_after_esc(
    world, console, settle, engine, clock
):
    """Card, Enter on the ticket, n, a note, Esc: the card's timeline did not show the note until the card
    was opened again; its newest lines are read again on return, older pages and the cursor kept."""
    from hotline.tui.screens.ticket import TicketScreen

    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for minute in range(TIMELINE_PAGE + 5):
            log_interaction(
                uow, client_id=world.ivanov_id, kind=InteractionKind.NOTE, notes=f"old note {minute}",
                started_at=clock.now() - timedelta(days=2, minutes=minute),
            )  # fmt: skip
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        card = await open_card(app, pilot, settle, world.ivanov_id)
        timeline = card.query_one(TimelineTable)
        await pilot.press("m")  # the older page too
        await settle(pilot)
        shown = len(timeline.items)
        assert shown > TIMELINE_PAGE
        await pilot.press("2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Called them back")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is card
        summaries = [item.summary for item in timeline.items]
        assert summaries[0].endswith("Called them back"), summaries[:3]
        assert len(timeline.items) == timeline.row_count == shown + 1  # the older page still there

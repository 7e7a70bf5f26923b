"""Console flows typed at zero delay, each in one burst, while the work the keys depend on is slow: a
queue's listing, a ticket's choices, a new ticket's queues, a knowledge-base search. Every key goes to
the screen and the row it was typed for; what was saved is read back from the database."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlmodel import select
from textual.widgets import Input, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Client, Ticket
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import ticket_detail
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.ticket import TicketScreen
from tests.tui.keys_at_once import type_at_once, wait_typed

SLOW_SECONDS = 0.4
"""How long a slowed read takes: far longer than the console takes to forward a burst of keys."""


def slowed(monkeypatch: pytest.MonkeyPatch, module: object, name: str, seconds: float = SLOW_SECONDS) -> None:
    """``module.name`` (a read a screen's worker makes) takes ``seconds`` longer."""
    real = getattr(module, name)

    def slow(*args, **kwargs):
        time.sleep(seconds)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, slow)


@pytest.fixture
def boris_and_sales(world, engine, clock) -> None:
    """A second operator and a second queue (Sales) beside ``world``'s."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boris", role=Role.OPERATOR, display_name="Boris Orlov")
        ensure_queue(uow, name="Sales")


def assignee(engine, clock, number: int) -> str | None:
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        return ticket_detail(uow, number=number).ticket.assignee_login


@pytest.mark.both_backends
async def test_assign_typed_at_once_on_the_ticket_goes_to_the_picker(
    world, boris_and_sales, console, settle, engine, clock, monkeypatch
):
    """``a``, then the operator chosen in the picker, typed before the operators are read: the keys wait
    for the picker (they went to the ticket screen, and the picker opened with nothing chosen)."""
    from hotline.core.services import operators

    slowed(monkeypatch, operators, "operator_choices")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        ticket = app.screen
        assert isinstance(ticket, TicketScreen)
        type_at_once(app, "a<home><down><enter>")  # Anna Petrova, Boris Orlov, nobody → Boris
        await wait_typed(pilot, settle)
        assert app.screen is ticket
    assert assignee(engine, clock, world.ticket_number) == "boris"


@pytest.fixture
def sales_ticket(world, boris_and_sales, engine, clock) -> int:
    """An unassigned ticket in Sales (``world``'s is anna's, in Support)."""
    from hotline.core.services.tickets import create_ticket

    with UnitOfWork(engine, clock=clock) as uow:
        return create_ticket(uow, subject="Price list please", queue="Sales", body="hello").number


@pytest.mark.both_backends
async def test_queues_opened_and_a_ticket_taken_in_one_burst(
    world, sales_ticket, console, settle, engine, clock, monkeypatch
):
    """F3, the next queue (Sales) and ``t`` typed at once while the listings are read slowly: ``t`` takes
    the ticket of the queue it was typed for (it took the one selected in the listing being replaced, or
    was lost before the first listing came)."""
    from hotline.core.services import tickets

    slowed(monkeypatch, tickets, "queue_tickets")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f3><right_square_bracket>t")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, QueuesScreen) and app.screen.queue == "Sales"
    assert assignee(engine, clock, sales_ticket) == "anna"
    assert assignee(engine, clock, world.ticket_number) == "anna"


def notes_of(engine, number: int) -> list[str]:
    from hotline.core.models.tickets import TicketEvent

    with UnitOfWork(engine, readonly=True) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.number == number)).one()
        events = uow.session.exec(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "note")
            .order_by(TicketEvent.id)
        )
        return [event.body for event in events]


@pytest.mark.both_backends
async def test_a_kb_search_typed_and_inserted_at_once_inserts_what_was_searched(
    articles, world, console, settle, engine, monkeypatch
):
    """A note, ctrl+k, the search, Enter and ctrl+s typed at once while the knowledge base answers
    slowly: Enter inserts the first article found for the whole query, once it is found (it found
    nothing yet, said so, and the keys after it were lost: no note saved)."""
    from hotline.core.services import kb

    slowed(monkeypatch, kb, "search_articles")
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        ticket = app.screen
        type_at_once(app, "nSee: <ctrl+k>toner<enter><ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is ticket
    [note] = notes_of(engine, world.ticket_number)[-1:]
    assert note.startswith("See: ") and "Order a new toner cartridge" in note


@pytest.mark.both_backends
async def test_a_new_ticket_typed_saved_and_worked_on_in_one_burst(
    world, sales_ticket, console, settle, engine, clock, monkeypatch
):
    """On the card: ``t``, the subject, the queue chosen (Sales, read slowly), the first note, ctrl+s; then
    on the ticket it opens a note, a status, a priority, ``t`` and Esc, all typed at once. The queue typed
    for is the ticket's (the choices were not read yet: the pick fell on the only one there, Support)."""
    from hotline.core.services import queues

    slowed(monkeypatch, queues, "list_queues", seconds=2.0)  # longer than the form's keys take
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        card = app.screen
        type_at_once(
            app,
            "tToner leak<tab><enter><up><enter><tab><tab>Leaks on the desk<ctrl+s>"
            "nCalled back<ctrl+s>s<down><enter>p<end><enter><escape>",
        )
        await wait_typed(pilot, settle)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        number = uow.session.exec(select(Ticket.number).where(Ticket.subject == "Toner leak")).one()
        ticket = ticket_detail(uow, number=number).ticket
    assert (ticket.client_id, ticket.queue, ticket.priority) == (world.ivanov_id, "Sales", "urgent")
    assert ticket.status != "new"
    assert notes_of(engine, number)[-1:] == ["Called back"]


def calls_by_note(engine, notes: list[str]) -> dict[str, int]:
    from hotline.core.models import Interaction

    with UnitOfWork(engine, readonly=True) as uow:
        calls = uow.session.exec(select(Interaction).where(Interaction.notes.in_(notes))).all()
    return {call.notes: call.client_id for call in calls}


async def test_two_calls_found_logged_and_closed_in_one_burst_with_a_slow_lookup(
    world, console, settle, engine, monkeypatch
):
    """Two callers, one after the other, typed at once while every lookup takes far longer than the keys:
    each call is logged once, on its caller's card, and Home is left empty."""
    from hotline.core import search

    slowed(monkeypatch, search, "lookup")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(
            app,
            "912 345-67-89\ncFirst caller<ctrl+s><escape>"
            "495 111-22-33\ncSecond caller<ctrl+s><escape>"
            "maria@example\nnPrefers email<ctrl+s><escape>",
        )
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#lookup", Input).value == ""
    assert calls_by_note(engine, ["First caller", "Second caller"]) == {
        "First caller": world.ivanov_id,
        "Second caller": world.hostile_id,
    }


@pytest.mark.both_backends
async def test_missed_calls_opened_and_a_caller_chosen_in_one_burst(
    world, console, settle, engine, clock, monkeypatch
):
    """F9, ↓ and Enter typed at once while the missed calls are read slowly: the second caller's card
    opens (the keys went to an empty list and were lost)."""
    from hotline.core.clock import FixedClock
    from hotline.core.services import screen_pop
    from hotline.core.services.screen_pop import request_screen_pop

    for number, ago in ((world.ivanov_phone, 5), ("+7 999 000-11-22", 4)):
        with UnitOfWork(engine, clock=FixedClock(clock.now() - timedelta(minutes=ago))) as uow:
            request_screen_pop(uow, operator_login="anna", number=number)
    slowed(monkeypatch, screen_pop, "missed_calls")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f9><down><enter>")  # newest first: the unknown number, then Ivanov
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.client_id == world.ivanov_id


@pytest.mark.both_backends
async def test_client_list_filtered_and_a_client_opened_in_one_burst(
    world, console, settle, engine, monkeypatch
):
    """F8, a filter (silent for a day or more: not Ivanov, called yesterday), back to the list and Enter,
    typed at once while the list is read slowly: the first client of the filtered list opens (Enter
    opened the first of the list being replaced: Ivanov's card, for a call about someone else)."""
    from hotline.core.services import client_lists

    slowed(monkeypatch, client_lists, "list_clients")
    app = console()
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f8><shift+tab><shift+tab>1<tab><tab><enter>")
        await wait_typed(pilot, settle)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        maria = uow.session.exec(select(Client.id).where(Client.name == "Maria Ivanova")).one()
    assert card.client_id == maria  # first by name of those silent for a day: Maria, then the hostile name


@pytest.mark.both_backends
async def test_a_ticket_opened_from_the_card_timeline_in_the_lookups_burst(
    world, console, settle, monkeypatch
):
    """The lookup, Enter for the card, Enter again for the newest line of its timeline (the ticket), typed
    at once while the timeline is read slowly: the ticket opens (the second Enter went to the empty
    timeline and was lost)."""
    from hotline.core.services import interactions

    slowed(monkeypatch, interactions, "timeline_page")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "912 345-67-89\n\n")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == world.ticket_number


async def test_attachments_listed_and_the_second_opened_in_one_burst(
    world, console, settle, engine, clock, monkeypatch
):
    """On the ticket, ``f``, ↓ and ``o`` typed at once while the attachments are listed slowly: the second
    one opens, on its key (the keys went to the empty list and were lost: nothing opened)."""
    from hotline.core.services import attachments
    from hotline.tui.screens import ticket_files
    from tests.tui.test_ticket_mail import seed_files

    seed_files(engine, clock, world.ticket_number)
    opened: list[list[str]] = []
    monkeypatch.setattr(ticket_files.subprocess, "Popen", lambda args, **_: opened.append(args))
    monkeypatch.setattr(ticket_files.shutil, "which", lambda name: f"/usr/bin/{name}")
    slowed(monkeypatch, attachments, "ticket_files")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        type_at_once(app, "f<down>o")
        await wait_typed(pilot, settle)
    [[viewer, path]] = opened
    assert viewer == "xdg-open" and path.endswith("evil.sh")


async def test_a_ring_just_after_enter_in_the_kb_panel_opens_its_card_once_the_article_is_in(
    articles, world, console, settle, engine, clock, monkeypatch
):
    """A note on the ticket, ctrl+k, a search and Enter typed at once; a caller rings as Enter is forwarded,
    before the search has answered. The article goes into the note, then the caller's card opens over
    the note form (the ring does not close the panel or the form); Esc on the card is back at the note."""
    from hotline.core.services import kb
    from hotline.tui.messages import ScreenPopRequested
    from hotline.tui.screens.ticket_reply import TicketTextScreen

    slowed(monkeypatch, kb, "search_articles")
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        forward = app.type_ahead._forward

        async def ring_after_enter(event) -> None:
            await forward(event)
            if getattr(event, "key", None) == "enter":
                app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, clock.now()))

        app.type_ahead._forward = ring_after_enter
        type_at_once(app, "nSee: <ctrl+k>toner<enter>")
        await wait_typed(pilot, settle)
        card = app.screen
        assert isinstance(card, ClientCardScreen) and card.client_id == world.ivanov_id
        form = app.screen_stack[-2]
        assert isinstance(form, TicketTextScreen)
        assert "Order a new toner cartridge" in form.query_one("#text", TextArea).text
        app.type_ahead._forward = forward
        type_at_once(app, "<escape><ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, TicketScreen)
    [note] = notes_of(engine, world.ticket_number)[-1:]
    assert note.startswith("See: ") and "Order a new toner cartridge" in note


@pytest.mark.both_backends
async def test_reminder_note_and_edit_typed_and_saved_in_one_burst_then_esc(
    world, console, settle, engine, clock, monkeypatch
):
    """On the card: a reminder, a note and an edit of the name, each typed and saved with ctrl+s, then Esc,
    all at once while every save is slow: each lands on this client, once, and Esc (typed while the
    last save ran) closes the card after the form, back at Home."""
    from hotline.core.models import Interaction, Reminder
    from hotline.core.services import clients, interactions, reminders

    for module, name in (
        (reminders, "create_reminder"),
        (interactions, "log_interaction"),
        (clients, "update_client"),
    ):
        if hasattr(module, name):
            slowed(monkeypatch, module, name)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.hostile_id)
        await settle(pilot)
        type_at_once(
            app, "r<tab>Call back about the invoice<ctrl+s>nPrefers email<ctrl+s>e Jr<ctrl+s><escape>"
        )
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        reminder = uow.session.exec(
            select(Reminder).where(Reminder.text == "Call back about the invoice")
        ).one()
        note = uow.session.exec(select(Interaction).where(Interaction.notes == "Prefers email")).one()
        client = uow.session.get(Client, world.hostile_id)
    assert reminder.client_id == note.client_id == world.hostile_id
    assert client.name.endswith(" Jr")


@pytest.mark.both_backends
async def test_queue_keys_while_another_console_reorders_the_listing(
    world, sales_ticket, console, settle, engine, clock, monkeypatch
):
    """On the queues, ↓ then ``t``, ``a`` and the pick typed at once; just as ↓ is forwarded another
    console's change (a deadline on the selected ticket) commits and reorders the listing, read again
    slowly. ``t`` and the assignment go to the ticket ↓ selected, wherever the reload put it; the ticket
    screen opened from it with Enter gets the note."""
    from hotline.core.services import tickets
    from hotline.tui.messages import TicketsChanged

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f3>")
        await wait_typed(pilot, settle)
        screen = app.screen
        assert isinstance(screen, QueuesScreen)
        first, second = (row for row in screen.query_one("TicketTable").rows_shown)
        slowed(monkeypatch, tickets, "queue_tickets")
        forward = app.type_ahead._forward

        async def change_after_down(event) -> None:
            await forward(event)
            if getattr(event, "key", None) == "down":
                with UnitOfWork(engine, clock=clock) as uow:
                    ticket = tickets.get_ticket(uow, number=int(second))
                    ticket.first_response_due_at = clock.now() + timedelta(minutes=5)
                    uow.session.add(ticket)
                app.post_message(TicketsChanged(frozenset({int(second)})))

        app.type_ahead._forward = change_after_down
        type_at_once(app, "<down>ta<home><down><enter><enter>nTaken by Anna, given to Boris<ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == int(second)
    assert assignee(engine, clock, int(second)) == "boris"
    assert notes_of(engine, int(second))[-1:] == ["Taken by Anna, given to Boris"]
    assert assignee(engine, clock, int(first)) == ("anna" if int(first) == world.ticket_number else None)


async def test_a_ring_while_a_refused_history_is_read_keeps_its_card(
    world, console, settle, engine, clock, monkeypatch
):
    """An operator (not allowed to read the audit) presses ``h`` on a ticket; a caller rings as it is
    forwarded. The history screen is refused and closes, but the caller's card that opened over it stays
    (the refusal's ``dismiss`` popped the top screen: the card, with its call timer), and the call typed
    on it is logged on the caller."""
    from textual.worker import WorkerFailed

    from hotline.core.errors import PermissionDenied
    from hotline.core.models import Interaction
    from hotline.core.services import audit
    from hotline.tui.messages import ScreenPopRequested
    from hotline.tui.screens.audit_history import AuditHistoryScreen

    slowed(monkeypatch, audit, "list_audit")  # the refusal comes once the card is open
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        ticket = app.screen
        forward = app.type_ahead._forward

        async def ring_after_h(event) -> None:
            await forward(event)
            if getattr(event, "key", None) == "h":
                app.post_message(ScreenPopRequested("+79123456789", world.ivanov_id, clock.now()))

        async def settle_through_the_refusal(pilot) -> None:
            # The history's worker fails with the refusal (the console shows it): a wait that catches it
            # still running sees WorkerFailed, one that comes after it has ended does not (a flake in CI).
            for _ in range(20):
                try:
                    return await settle(pilot)
                except WorkerFailed as failed:
                    if not isinstance(failed.error, PermissionDenied):
                        raise

        app.type_ahead._forward = ring_after_h
        type_at_once(app, "h")
        await wait_typed(pilot, settle_through_the_refusal)
        app.type_ahead._forward = forward
        assert any("can see the history of changes" in str(n.message) for n in app._notifications)
        card = app.screen
        assert isinstance(card, ClientCardScreen), app.screen_stack
        assert card.call_started_at is not None
        type_at_once(app, "cAbout the history<ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is card
        type_at_once(app, "<escape>")
        await wait_typed(pilot, settle)
        assert app.screen is ticket and not any(isinstance(s, AuditHistoryScreen) for s in app.screen_stack)
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).where(Interaction.notes == "About the history")).one()
    assert call.client_id == world.ivanov_id


async def test_kb_read_from_home_typed_at_once_and_back_to_the_lookup(articles, console, settle, monkeypatch):
    """On Home with a query typed, F6, a search, Enter (read), Esc and Esc typed at once while the
    search is slow: the reader showed the article searched for, and the console is back on Home with the
    query kept."""
    from hotline.core.services import kb
    from hotline.tui.screens.kb_search import KbReaderScreen

    slowed(monkeypatch, kb, "search_articles")
    read: list[str] = []
    mounted = KbReaderScreen.on_mount if hasattr(KbReaderScreen, "on_mount") else None

    def remember(self) -> None:
        read.append(self.choice.title)
        if mounted is not None:
            mounted(self)

    monkeypatch.setattr(KbReaderScreen, "on_mount", remember)
    app = console()
    async with app.run_test(size=(110, 32)) as pilot:
        await settle(pilot)
        type_at_once(app, "912<f6>toner<enter><escape><escape>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, HomeScreen)
        assert app.screen.query_one("#lookup", Input).value == "912"
    assert read == ["Replacing the toner cartridge"]

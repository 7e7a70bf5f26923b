"""The ticket screen: chronology with attachments, reply through the outbox, note, field changes, and the
conflict when someone else changed the ticket meanwhile (said, nothing overwritten, reload on request)."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Static, TextArea

from hotline.core.db import UnitOfWork
from hotline.core.models import Attachment, AuditEntry, Ticket
from hotline.core.models.enums import EventKind, Priority, Role
from hotline.core.models.mail import OutboxMessage
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import (
    add_event,
    add_note,
    create_ticket,
    get_ticket,
    ticket_detail,
    update_ticket,
)
from hotline.tui.screens.ticket import TicketScreen
from hotline.tui.screens.ticket_edit import ChoiceScreen
from hotline.tui.screens.ticket_reply import TicketTextScreen
from hotline.tui.widgets.ticket_chronology import TicketChronology
from hotline.tui.widgets.ticket_header import TicketHeader
from tests.tui.conftest import wait_for_workers

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

HOSTILE_BODY = "[bold red]boom[/]\x1b[2J and \x1b]0;title\x07 more"


def seed(engine, clock, number: int) -> None:
    """A client's message with an attachment, boris and a Sales queue."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boris", role=Role.OPERATOR, display_name="Boris Orlov")
        ensure_queue(uow, name="Sales")
        ticket = get_ticket(uow, number=number)
        event = add_event(
            uow, ticket=ticket, kind=EventKind.MESSAGE_IN, body=HOSTILE_BODY, author="ivanov@example.com"
        )
        uow.session.add(
            Attachment(
                event_id=event.id, filename="invoice.pdf", content_type="application/pdf", size=3 * 1024
            )
        )


async def open_ticket(app, pilot, settle, number: int) -> TicketScreen:
    await settle(pilot)
    app.open_ticket(number)
    await settle(pilot)
    assert isinstance(app.screen, TicketScreen)
    return app.screen


def chronology_text(screen: TicketScreen) -> str:
    return "\n".join(strip.text for strip in screen.query_one(TicketChronology).lines)


def detail(engine, clock, number):
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        return ticket_detail(uow, number=number)


async def test_shows_header_and_whole_chronology_newest_last(world, console, settle, engine, clock):
    seed(engine, clock, world.ticket_number)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        header = str(screen.query_one(TicketHeader).render())
        assert f"#{world.ticket_number} Invoice not received" in header
        assert "Anna Petrova" in header and "Ivan Ivanov" in header
        text = chronology_text(screen)
        assert text.index("Please resend the invoice.") < text.index("message in")
        assert "ivanov@example.com" in text
        assert "[bold red]boom[/] and  more" in text  # markup literal, escape sequences gone
        assert "invoice.pdf  application/pdf, 3.0 KB" in text
        assert [e.kind for e in screen.detail.events] == ["note", "message_in"]


async def test_reply_goes_out_through_the_outbox(world, console, settle, engine, clock):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, TicketTextScreen)
        app.screen.query_one(TextArea).insert("Sent again today.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        # the first response also opens the new ticket (a status line at the same instant)
        assert [e.kind for e in screen.detail.events][-2:] == ["message_out", "status"]
        assert "Sent again today." in chronology_text(screen)
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        ticket = uow.session.exec(select(Ticket).where(Ticket.number == world.ticket_number)).one()
        mail = uow.session.exec(select(OutboxMessage).where(OutboxMessage.ticket_id == ticket.id)).one()
    assert mail.body == "Sent again today." and "ivanov@example.com" in str(mail.to_addrs)


async def test_note_status_priority_queue_and_assignee(world, console, settle, engine, clock):
    seed(engine, clock, world.ticket_number)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Called the warehouse.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.events[-1].body == "Called the warehouse."
        for key, pick in (("s", "pending"), ("p", "urgent"), ("q", "Sales"), ("a", "boris")):
            await pilot.press(key)
            await settle(pilot)
            chooser = app.screen
            assert isinstance(chooser, ChoiceScreen)
            await pilot.press("home")
            values = [value for value, _ in chooser.choices]
            for _ in range(values.index(pick)):
                await pilot.press("down")
            await pilot.press("enter")
            await settle(pilot)
            assert app.screen is screen
        row = screen.detail.ticket
        assert (row.status, row.priority, row.queue, row.assignee_login) == (
            "pending",
            "urgent",
            "Sales",
            "boris",
        )
        await pilot.press("t")
        await settle(pilot)
        assert screen.detail.ticket.assignee_login == "anna"
    saved = detail(engine, clock, world.ticket_number)
    assert [e.kind for e in saved.events][-6:] == [
        "note",
        "status",
        "priority",
        "queue",
        "assignment",
        "assignment",
    ]


async def test_a_note_from_the_console_is_audited_and_bumps_the_version(
    world, console, settle, engine, clock
):
    """The note goes through the same operation as every change: version checked, audited, bumped."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        loaded_version = screen.version
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Called the warehouse.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.events[-1].body == "Called the warehouse."
        assert screen.version == loaded_version + 1
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        entries = uow.session.exec(
            select(AuditEntry).where(
                AuditEntry.entity == "ticket", AuditEntry.entity_id == str(world.ticket_number)
            )
        ).all()
    assert [(e.action, e.actor) for e in entries if e.action == "ticket.note"] == [("ticket.note", "anna")]
    assert detail(engine, clock, world.ticket_number).version == loaded_version + 1


async def test_a_note_after_someone_elses_change_is_refused_and_kept_as_a_draft(
    world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(
                uow, number=world.ticket_number, expected_version=screen.version, priority=Priority.HIGH
            )
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Too late.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.conflicted and screen.drafts["note"] == "Too late."
    assert "Too late." not in [e.body for e in detail(engine, clock, world.ticket_number).events]


async def test_a_change_after_someone_elses_is_refused_and_reload_offered(
    world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        loaded_version = screen.version
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(
                uow, number=world.ticket_number, expected_version=loaded_version, priority=Priority.HIGH
            )
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("end", "enter")  # urgent
        await settle(pilot)
        banner = screen.query_one("#ticket-conflict", Static)
        assert banner.display and "changed by someone else meanwhile" in str(banner.render())
        assert "F5 to reload" in str(banner.render())
        assert screen.conflicted and screen.version == loaded_version
        assert detail(engine, clock, world.ticket_number).ticket.priority == "high"  # their change stands
        await pilot.press("f5")
        await settle(pilot)
        assert not banner.display and not screen.conflicted
        assert screen.version == loaded_version + 1 and screen.detail.ticket.priority == "high"
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("end", "enter")
        await settle(pilot)
        assert screen.detail.ticket.priority == "urgent"
    assert detail(engine, clock, world.ticket_number).ticket.priority == "urgent"


async def test_a_reply_after_someone_elses_change_is_kept_as_a_draft(world, console, settle, engine, clock):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(
                uow, number=world.ticket_number, expected_version=screen.version, assignee_login=None
            )
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Here it is.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.conflicted and screen.drafts["reply"] == "Here it is."
        assert [e.kind for e in detail(engine, clock, world.ticket_number).events].count("message_out") == 0
        await pilot.press("f5")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "Here it is."
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "message_out" in [e.kind for e in screen.detail.events] and "reply" not in screen.drafts


async def test_unknown_ticket_is_a_readable_error(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, 999999)
        assert screen.detail is None
        assert any("no ticket #999999" in n.message for n in app._notifications)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TicketScreen)


def _show_ticket(number: int, *keys: str):
    async def run_before(pilot) -> None:
        for _ in range(3):
            await pilot.pause()
            await wait_for_workers(pilot.app)
        pilot.app.open_ticket(number)
        for _ in range(4):
            await pilot.pause()
            await wait_for_workers(pilot.app)
        if keys:
            await pilot.press(*keys)
            for _ in range(4):
                await pilot.pause()
                await wait_for_workers(pilot.app)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_ticket(backend, world, console, engine, clock, snap_compare):
    seed(engine, clock, world.ticket_number)
    assert snap_compare(console(), terminal_size=(100, 30), run_before=_show_ticket(world.ticket_number))


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_ticket_status_choice_at_80x24(backend, world, console, engine, clock, snap_compare):
    seed(engine, clock, world.ticket_number)
    assert snap_compare(console(), terminal_size=(80, 24), run_before=_show_ticket(world.ticket_number, "s"))


async def test_a_reply_without_an_address_is_a_readable_error_and_the_text_is_kept(
    world, console, settle, engine, clock
):
    with UnitOfWork(engine, clock=clock) as uow:
        number = create_ticket(
            uow, subject="Walk-in question", queue="Support", body="asked at the desk"
        ).number
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, number)
        assert screen.check_action("open_client", ()) is None  # no client to open
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("We called you back.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and not screen.conflicted
        assert any("no requester address" in n.message for n in app._notifications)
        assert screen.drafts["reply"] == "We called you back."
        await pilot.press("n")  # the console stays usable
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Told them by phone.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.events[-1].body == "Told them by phone."


async def test_c_opens_the_clients_card(world, console, settle):
    from hotline.tui.screens.client_card import ClientCardScreen

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.client_id == world.ivanov_id


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_ticket_conflict_at_80x24(backend, world, console, engine, clock, snap_compare):
    async def run_before(pilot) -> None:
        await _show_ticket(world.ticket_number)(pilot)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(uow, number=world.ticket_number, expected_version=None, priority=Priority.HIGH)
        await pilot.press("t")
        for _ in range(4):
            await pilot.pause()
            await wait_for_workers(pilot.app)

    assert snap_compare(console(), terminal_size=(80, 24), run_before=run_before)


async def test_a_refused_note_is_worded_for_the_console_and_names_its_own_key(
    world, console, settle, engine, clock
):
    """An RTL note with an embedding control, or a reply over the limit: the banner said
    '--body: …' (the CLI's option) and, for a note, 'press r to edit it' (r opens the reply)."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("مرحبا \u202b abc")
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = str(screen.query_one("#ticket-conflict", Static).render())
        assert "--body" not in banner and "U+202B" in banner
        assert "press n to edit it" in banner
        await pilot.press("n")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == "مرحبا \u202b abc"
        await pilot.press("escape", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("x" * 100_001)
        await pilot.press("ctrl+s")
        await settle(pilot)
        banner = str(screen.query_one("#ticket-conflict", Static).render())
        assert "--body" not in banner and "100,001" in banner and "press r to edit it" in banner
    assert [event.kind for event in detail(engine, clock, world.ticket_number).events] == ["note"]


async def test_a_reload_under_an_open_picker_is_no_consent_to_overwrite(
    world, console, settle, engine, clock
):
    """A recheck planned before ``p`` (a pushed change, a reply's mail moving on) read boris's priority
    under the open picker: the pick then saved against his version and overwrote it unseen."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        shown = screen.version
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(uow, number=world.ticket_number, expected_version=shown, priority=Priority.HIGH)
        screen.live_rechecks.request()  # the recheck planned before the picker opened runs now
        await settle(pilot)
        assert screen.version == shown + 1 and isinstance(app.screen, ChoiceScreen)
        await pilot.press("end", "enter")  # urgent, chosen over what was shown when p was pressed
        await settle(pilot)
        assert screen.conflicted
        assert detail(engine, clock, world.ticket_number).ticket.priority == "high"  # his change stands
        await pilot.press("n")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("Seen.")
        with UnitOfWork(engine, clock=clock) as uow:
            add_note(uow, number=world.ticket_number, expected_version=None, body="Called them.", sla=None)
        screen.reload()  # lands under the note's form: the note was begun before it
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.conflicted and screen.drafts["note"] == "Seen."


async def test_a_draft_emptied_and_left_with_esc_does_not_come_back(world, console, settle, engine, clock):
    """A reply kept as a draft (someone else's change), emptied by the operator, Esc: the next r brought
    the deleted text back, ready to be sent with the next ctrl+s."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(
                uow, number=world.ticket_number, expected_version=screen.version, priority=Priority.LOW
            )
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one(TextArea).insert("We refund you 1000 EUR.")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.drafts["reply"] == "We refund you 1000 EUR."
        await pilot.press("f5", "r")
        await settle(pilot)
        app.screen.query_one(TextArea).clear()
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert app.screen.query_one(TextArea).text == ""


async def test_a_change_clicked_while_a_save_runs_is_said_not_dropped(world, console, settle, monkeypatch):
    """A footer key clicked while a change is still being saved (a click does not wait like typed keys)
    did nothing and said nothing; now the console says the ticket is still saving and the change was not made."""
    import threading

    import hotline.tui.screens.ticket as ticket_module

    release = threading.Event()
    apply = ticket_module.apply_change

    def held(*args, **kwargs):
        release.wait(10)
        return apply(*args, **kwargs)

    monkeypatch.setattr(ticket_module, "apply_change", held)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        screen._change(ticket_module.TicketChange("priority", Priority.HIGH.value), screen.version)
        await pilot.pause()
        await screen.run_action("take")  # what a click on the footer's key runs
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        release.set()
        await settle(pilot)
    assert any("still saving" in line.lower() for line in said), said


async def test_a_reload_while_the_assignees_are_read_is_no_consent_to_overwrite(
    world, console, settle, engine, clock, monkeypatch
):
    """``a`` (and ``q``) read the choices first: a reload landing meanwhile (boris's priority) set the version
    the pick was saved against, so it went through over a change the operator had not seen when she
    pressed ``a``; the version is the one shown when the key was pressed."""
    import threading

    from hotline.core.services import operators

    seed(engine, clock, world.ticket_number)
    reading, go_on = threading.Event(), threading.Event()
    choices = operators.operator_choices

    def slow_choices(*args, **kwargs):
        reading.set()
        go_on.wait(15)
        return choices(*args, **kwargs)

    monkeypatch.setattr(operators, "operator_choices", slow_choices)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_ticket(app, pilot, settle, world.ticket_number)
        shown = screen.version
        await pilot.press("a")
        for _ in range(300):
            if reading.is_set():
                break
            await pilot.pause(0.01)
        with UnitOfWork(engine, clock=clock) as uow:
            update_ticket(uow, number=world.ticket_number, expected_version=shown, priority=Priority.HIGH)
        screen.reload()  # a pushed change read while the choices are
        for _ in range(300):
            if screen.version == shown + 1:
                break
            await pilot.pause(0.01)
        assert screen.version == shown + 1
        go_on.set()
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        values = [value for value, _ in app.screen.choices]
        app.screen.query_one("#choices").highlighted = values.index("boris")
        await pilot.press("enter")
        await settle(pilot)
        assert screen.conflicted
        assert detail(engine, clock, world.ticket_number).ticket.priority == "high"


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("key", "said"),
    [("r", "Nothing to send: the reply is empty."), ("n", "Nothing to save: the note is empty.")],
)
async def test_an_empty_reply_or_note_is_named_for_what_it_is(backend, key, said, world, console, settle):
    """An empty ticket note said "Nothing to send": a note is saved on the ticket, never sent, and the
    operator wondered whether notes go to the client."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_ticket(world.ticket_number)
        await settle(pilot)
        await pilot.press(key, "space", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, TicketTextScreen)
        assert [n.message for n in app._notifications] == [said]

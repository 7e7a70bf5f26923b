"""The three client forms (note, new ticket, reminder) share one base: the same keys, each its own fields."""

from __future__ import annotations

import re

import pytest
from textual.widgets import Input

from hotline.core.models.enums import Priority
from hotline.tui.commands import bindings_for
from hotline.tui.screens.client_form import ClientFormScreen
from hotline.tui.screens.new_ticket import PRIORITIES, NewTicketScreen
from hotline.tui.screens.note import NoteScreen
from hotline.tui.screens.reminder import ReminderScreen


def test_the_priority_choices_are_the_enums() -> None:
    assert [value for _, value in PRIORITIES] == [priority.value for priority in Priority]
    assert [label for label, _ in PRIORITIES] == ["Low", "Normal", "High", "Urgent"]


@pytest.mark.parametrize("form", [NoteScreen, NewTicketScreen, ReminderScreen])
def test_every_form_has_the_shared_keys_and_its_own_stylesheet(form: type[ClientFormScreen]) -> None:
    assert issubclass(form, ClientFormScreen)
    assert [binding.key for binding in form.BINDINGS] == [binding.key for binding in bindings_for("note")]
    assert [binding.key for binding in form.BINDINGS] == ["ctrl+s", "ctrl+k", "escape"]
    own = form.CSS_PATH[-1]
    assert own.name == f"{form.__module__.rsplit('.', 1)[-1]}.tcss"
    assert own.read_text(encoding="utf-8").startswith(f"{form.__name__} {{")


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_the_ticket_form_saves_the_chosen_priority(backend, world, console, settle, engine):
    from sqlmodel import select
    from textual.widgets import Input, Select

    from hotline.core.db import UnitOfWork
    from hotline.core.models import Ticket

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketScreen)
        assert form.query_one("#priority", Select).value == "normal"
        form.query_one("#subject", Input).value = "Server down"
        form.query_one("#priority", Select).value = Priority.URGENT.value
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        assert (
            uow.session.exec(select(Ticket.priority).where(Ticket.subject == "Server down")).one() == "urgent"
        )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_pasted_subject_keeps_all_its_lines_and_a_long_one_is_said(
    backend, world, console, settle, engine
):
    """A subject pasted from a mail's two lines kept the first and dropped the rest without a word; one
    over 500 characters was not pasted, with only the terminal's bell to say so."""
    from sqlmodel import select
    from textual import events
    from textual.widgets import Input

    from hotline.core.db import UnitOfWork
    from hotline.core.models import Ticket
    from hotline.core.services.tickets import MAX_SUBJECT

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketScreen)
        subject = form.query_one("#subject", Input)
        app.post_message(events.Paste("x" * (MAX_SUBJECT + 1)))
        await settle(pilot)
        assert subject.value == ""
        assert any(
            n.message
            == f"Not pasted: a subject holds at most {MAX_SUBJECT} characters and the paste has 501."
            for n in app._notifications
        )
        app.post_message(events.Paste("Printer jams\r\n  on page two \n"))
        await settle(pilot)
        assert subject.value == "Printer jams on page two"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        assert (
            uow.session.exec(select(Ticket.subject).order_by(Ticket.id.desc())).first()
            == "Printer jams on page two"
        )


@pytest.mark.both_backends
async def test_a_ticket_for_a_client_deleted_meanwhile_says_so(
    world, supervisor, console, settle, engine, clock
):
    """The new-ticket form was open when a supervisor deleted the client: ctrl+s said "database error:
    FOREIGN KEY constraint failed" (on PostgreSQL the constraint's name), as if the database were broken.
    It now says the client is gone, like the note, reminder and call forms, and opens nothing."""
    from sqlmodel import select
    from textual.widgets import Input

    from hotline.core.db import UnitOfWork
    from hotline.core.models import Ticket
    from hotline.core.services.clients import delete_client

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewTicketScreen)
        with UnitOfWork(engine, actor_login=supervisor, clock=clock) as uow:
            delete_client(uow, client_id=world.ivanov_id)
        form.query_one("#subject", Input).value = "Server down"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert [n.message for n in app._notifications] == [f"no client with id {world.ivanov_id}"]
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Ticket).where(Ticket.subject == "Server down")).all() == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_keys_typed_past_a_fields_length_are_said_once(backend, world, console, settle):
    """Typed past a field's length, the keys were dropped with only the terminal's bell (often silent):
    a subject typed on ended cut with nothing said. The first key it does not take says so, once."""
    from textual.widgets import Input

    from hotline.core.services.tickets import MAX_SUBJECT
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        subject = app.screen.query_one("#subject", Input)
        subject.value = "x" * (MAX_SUBJECT - 1)
        subject.cursor_position = len(subject.value)
        type_at_once(app, "abc")
        await wait_typed(pilot, settle)
        assert subject.value == "x" * (MAX_SUBJECT - 1) + "a"
        assert [n.message for n in app._notifications] == [
            f"Not typed: a subject holds at most {MAX_SUBJECT} characters."
        ]


@pytest.mark.both_backends
async def test_a_reminder_or_follow_up_in_the_past_is_refused(world, console, settle, engine):
    """A year mistyped (01.01.2020 for 2027) was taken: "Reminder set for 01 Jan 10:00." (no year to
    catch it), and the reminder was overdue at once; a call's follow-up the same, with "Call logged.".
    Both now say the time is past and save nothing."""
    from sqlmodel import select
    from textual.widgets import Static

    from hotline.core.db import UnitOfWork
    from hotline.core.models import Reminder
    from hotline.tui.screens.log_call import LogCallScreen
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        type_at_once(app, "r<ctrl+u>01.01.2020 10:00<tab>Call back<ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ReminderScreen)
        assert [n.message for n in app._notifications] == [
            "when: '01.01.2020 10:00' is in the past (01 Jan 2020 10:00)"
        ]
        type_at_once(app, "<escape>c")
        await wait_typed(pilot, settle)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        form.query_one("#follow-up", Input).value = "01.01.2020 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert str(form.query_one("#follow-up-error", Static).render()) == (
            "⚠ '01.01.2020 10:00' is in the past (01 Jan 2020 10:00)"
        )
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Reminder)).all() == []


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_reminder_set_for_another_year_names_the_year(world, console, settle):
    """ "Reminder set for 01 Jan 10:00." for a year typed as 2037 (meant 2027): the notice had no year, so
    the typo went unseen. A reminder outside this year names its year."""
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        type_at_once(app, "r<ctrl+u>01.01.2037 10:00<tab>Call back<ctrl+s>")
        await wait_typed(pilot, settle)
        type_at_once(app, "r<ctrl+u>tomorrow<tab>Call back<ctrl+s>")
        await wait_typed(pilot, settle)
        said = [n.message for n in app._notifications]
        assert said[0] == "Reminder set for 01 Jan 2037 10:00."
        assert re.fullmatch(r"Reminder set for \d\d [A-Z][a-z]{2} \d\d:\d\d\.", said[1])  # this year: none

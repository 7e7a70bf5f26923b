"""The client form checks like a careful colleague: every problem at once beside its field, dates as people
write them, a yes before a new group or a second client with a known phone, the cursor at the end in an
edit, and home starts each caller from an empty box with the last one a key away."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from textual.widgets import Button, Input, Static

from hotline.core.db import UnitOfWork
from hotline.core.models import Client, ClientGroup, ClientPhone
from hotline.core.settings import Settings
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.confirm import ConfirmScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.new_client import NewClientScreen
from tests.tui.conftest import console_settings


async def new_client_form(app, pilot, settle, typed: str = "") -> NewClientScreen:
    await settle(pilot)
    app.open_new_client(typed)
    await settle(pilot)
    assert isinstance(app.screen, NewClientScreen)
    return app.screen


async def edit_client_form(app, pilot, settle, client_id: int) -> NewClientScreen:
    """The card of ``client_id`` opened, then its edit form (``e``)."""
    await settle(pilot)
    app.open_client(client_id)
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(app.screen, NewClientScreen)
    return app.screen


def colleague_changes(engine, clock, client_id: int, **changes) -> None:
    """A colleague's edit of the same client, saved while the form is open."""
    from hotline.core.services.clients import ClientChanges, update_client

    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        update_client(uow, client_id=client_id, changes=ClientChanges(**changes), default_region="RU")


def error_of(form: NewClientScreen, field: str) -> str:
    line = form.query_one(f"#{field}-error", Static)
    return str(line.render()) if line.display else ""


def clients_named(engine, name: str) -> list[Client]:
    with UnitOfWork(engine, readonly=True) as uow:
        return list(uow.session.exec(select(Client).where(Client.name == name)))


async def test_every_problem_is_shown_at_once_beside_its_field(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle)
        form.query_one("#phones", Input).value = "12, +7 999 000-11-22"
        form.query_one("#emails", Input).value = "nobody-at-example"
        form.query_one("#birthday", Input).value = "31.02.1990"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert error_of(form, "name") == "⚠ a client needs a name"
        assert error_of(form, "phones") == "⚠ not a phone number: 12"
        assert error_of(form, "emails") == "⚠ not an email address: nobody-at-example"
        assert error_of(form, "birthday") == "⚠ '31.02.1990': February 1990 has 28 days"
        assert error_of(form, "group") == ""
        assert app.focused is form.query_one("#name", Input)  # the first field to correct
        assert any("4 fields need correcting" in n.message for n in app._notifications)
        form.query_one("#birthday", Input).value = "28.02.1990"
        await settle(pilot)
        assert (
            error_of(form, "birthday") == "" and error_of(form, "phones") != ""
        )  # corrected: its error goes
        await pilot.press("escape")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(ClientPhone).where(ClientPhone.e164 == "+79990001122")).first() is None


async def test_a_birthday_in_the_future_is_refused(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        form.query_one("#birthday", Input).value = "01.01.2999"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "in the future" in error_of(form, "birthday")
    assert clients_named(engine, "Olga Smirnova") == []


@pytest.mark.parametrize(
    ("order", "typed"),
    [("dmy", "16.01.1999"), ("dmy", "16/01/1999"), ("dmy", "1999-01-16"), ("mdy", "01/16/1999")],
)
async def test_the_birthday_is_read_in_the_configured_order(world, console, settle, engine, order, typed):
    settings = Settings(**(console_settings().model_dump() | {"date_order": order}))
    app = console(settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        assert (
            form.query_one("#birthday", Input).placeholder
            == {"dmy": "DD.MM.YYYY", "mdy": "MM/DD/YYYY"}[order]
        )
        form.query_one("#birthday", Input).value = typed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("e")
        await settle(pilot)
        shown = app.screen.query_one("#birthday", Input).value
        assert shown == {"dmy": "16.01.1999", "mdy": "01/16/1999"}[order]  # the edit shows it the same way
    [client] = clients_named(engine, "Olga Smirnova")
    assert client.birthday == date(1999, 1, 16)


async def test_an_operator_chooses_a_group_but_does_not_make_one(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        form.query_one("#group", Input).value = "Wholesale"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form  # no question: the answer could only be a refusal
        assert error_of(form, "group") == "⚠ no group named 'Wholesale'; a supervisor makes new groups"
        assert app.focused is form.query_one("#group", Input)
        form.query_one("#group", Input).value = "VIP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        assert list(uow.session.exec(select(ClientGroup.name))) == ["VIP"]


async def test_a_new_group_is_created_only_after_a_yes(world, supervisor, console, settle, engine):
    app = console(operator_login=supervisor)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        form.query_one("#group", Input).value = "Wholesale"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "no group named 'Wholesale'" in str(app.screen.query_one("#question", Static).render())
        await pilot.press("enter")  # the default is No
        await settle(pilot)
        assert app.screen is form
        assert error_of(form, "group") == "⚠ no group named 'Wholesale' (not created)"
        assert app.focused is form.query_one("#group", Input)
        assert clients_named(engine, "Olga Smirnova") == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        group = uow.session.exec(select(ClientGroup).where(ClientGroup.name == "Wholesale")).one()
        [client] = uow.session.exec(select(Client).where(Client.name == "Olga Smirnova")).all()
        assert client.group_id == group.id


async def test_an_existing_group_is_not_asked_about(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        form.query_one("#group", Input).value = "VIP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    assert len(clients_named(engine, "Olga Smirnova")) == 1


async def test_a_known_phone_needs_an_explicit_yes(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, world.ivanov_phone)
        form.query_one("#name", Input).value = "Ivan Ivanov junior"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = str(app.screen.query_one("#question", Static).render())
        assert "already belongs to Ivan Ivanov" in question
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is form and clients_named(engine, "Ivan Ivanov junior") == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form and clients_named(engine, "Ivan Ivanov junior") == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        owners = uow.session.exec(
            select(ClientPhone.client_id).where(ClientPhone.e164 == "+79123456789")
        ).all()
        assert len(owners) == 2


async def test_a_known_email_needs_a_yes_but_the_clients_own_does_not(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Maria Ivanova junior")
        form.query_one("#emails", Input).value = "MARIA@example.com"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+s")  # Ivanov's own phone and email are no duplicates of himself
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    assert clients_named(engine, "Maria Ivanova junior") == []


async def test_the_confirm_screen_answers_no_unless_told_yes(world, console, settle):
    answers: list[bool | None] = []
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for key in ("enter", "escape", "n", "y", "right,enter"):
            app.push_screen(ConfirmScreen("Delete [bold]everything[/]?"), answers.append)
            await settle(pilot)
            assert app.focused is app.screen.query_one("#no", Button)
            assert "[bold]" in str(app.screen.query_one("#question", Static).render())  # never markup
            await pilot.press(*key.split(","))
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)
    assert answers == [False, False, False, True, True]


async def test_a_long_question_on_a_small_terminal_keeps_its_buttons_in_sight(world, console, settle):
    """A duplicate's long name (300 characters) made the question taller than a 40x12 terminal: the focused
    No and the y/n hint were below the screen's edge."""
    app = console()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        app.push_screen(ConfirmScreen(f"This phone already belongs to {'W' * 300} #1. Save it too?"))
        await settle(pilot)
        assert app.focused is app.screen.query_one("#no", Button)
        assert app.screen.region.contains_region(app.focused.region)


async def test_f4_with_an_empty_box_moves_a_number_typed_into_name_to_phones(world, console, settle):
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f4>8 999 111-22-77<tab>")
        await wait_typed(pilot, settle)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        assert form.query_one("#phones", Input).value == "8 999 111-22-77"
        assert form.query_one("#name", Input).value == ""
        assert app.focused is form.query_one("#name", Input)
        form.query_one("#name", Input).value = "3M Russia"  # a name that starts with a digit stays a name
        form.query_one("#phones", Input).value = ""
        await pilot.press("tab")
        await settle(pilot)
        assert form.query_one("#name", Input).value == "3M Russia"


async def test_edit_opens_with_the_cursor_at_the_end_of_the_name(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await edit_client_form(app, pilot, settle, world.ivanov_id)
        assert app.focused is form.query_one("#name", Input)
        await pilot.press("space", "J", "r")
        assert form.query_one("#name", Input).value == "Ivan Ivanov Jr"
        await pilot.press("ctrl+s")
        await settle(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.get(Client, world.ivanov_id).name == "Ivan Ivanov Jr"


async def test_home_starts_empty_after_a_card_and_up_recalls_the_last_query(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        home.query_one("#lookup", Input).value = "345 67"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is home
        lookup = home.query_one("#lookup", Input)
        assert lookup.value == "" and app.focused is lookup
        await pilot.press("up")
        assert lookup.value == "345 67" and lookup.cursor_position == len("345 67")


async def test_the_log_call_form_shows_every_problem_beside_its_field(world, console, settle, engine):
    from hotline.core.models import Interaction, Reminder
    from hotline.tui.screens.log_call import LogCallScreen

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        card = app.screen
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        assert form.query_one("#follow-up", Input).placeholder.endswith("01.12.2026 10:00")
        form.query_one("#duration", Input).value = "1:2:3:4"
        form.query_one("#follow-up", Input).value = "31.02.2027 10:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert (
            str(form.query_one("#duration-error", Static).render())
            == "⚠ not a duration: '1:2:3:4' (use m:ss)"
        )
        assert "February 2027 has 28 days" in str(form.query_one("#follow-up-error", Static).render())
        assert app.focused is form.query_one("#duration", Input)
        form.query_one("#duration", Input).value = "1:60"  # was logged as 2:00 without a word
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert str(form.query_one("#duration-error", Static).render()) == (
            "⚠ not a duration: '1:60' (seconds go up to 59; use m:ss)"
        )
        form.query_one("#duration", Input).value = "2:05"
        form.query_one("#follow-up", Input).value = "01.12.2026 10:00"
        await settle(pilot)
        assert not form.query_one("#duration-error", Static).display
        assert not form.query_one("#follow-up-error", Static).display
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert call.duration_seconds == 125
        reminder = uow.session.exec(select(Reminder)).one()
        assert reminder.due_at.isoformat() == "2026-12-01T07:00:00+00:00"  # 10:00 in Moscow


async def test_the_reminder_date_is_read_in_the_configured_order(world, console, settle, engine):
    from textual.widgets import TextArea

    from hotline.core.models import Reminder

    settings = Settings(**(console_settings().model_dump() | {"date_order": "mdy"}))
    app = console(settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        app.screen.query_one("#when", Input).value = "12/01/2026 18:45"
        app.screen.query_one("#body", TextArea).insert("Send the contract")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Reminder)).one().due_at.isoformat() == "2026-12-01T15:45:00+00:00"


async def test_a_yes_typed_with_the_save_answers_the_question_not_the_name(
    world, supervisor, console, settle, engine
):
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console(operator_login=supervisor)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle, "Olga Smirnova")
        form.query_one("#group", Input).value = "Wholesale"
        form.query_one("#name", Input).focus()
        type_at_once(app, "<ctrl+s>y")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
    [client] = clients_named(engine, "Olga Smirnova")
    assert client.group_id is not None


async def test_an_edit_asks_only_about_a_shared_contact_it_adds(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.hostile_id)
        await settle(pilot)
        card = app.screen
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.query_one("#phones", Input).value = f"+7 495 111-22-33, {world.ivanov_phone}"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)  # Ivanov's number is new on this client: asked
        await pilot.press("y")
        await settle(pilot)
        assert app.screen is card
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("ctrl+s")  # the shared number was agreed to: not asked again
        await settle(pilot)
        assert app.screen is card
    with UnitOfWork(engine, readonly=True) as uow:
        owners = uow.session.exec(
            select(ClientPhone.client_id).where(ClientPhone.e164 == "+79123456789")
        ).all()
        assert sorted(owners) == sorted([world.ivanov_id, world.hostile_id])


async def test_on_a_small_terminal_the_call_form_scrolls_to_the_focused_field(world, console, settle):
    """At 40x12, with the duration's and the follow-up's problems shown under them, the call's notes were
    below the screen's edge: Tab went there and the operator typed blind."""
    app = console()
    async with app.run_test(size=(40, 12)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#duration", Input).value = "1:2:3:4"
        app.screen.query_one("#follow-up", Input).value = "someday"
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("tab", "tab")  # from the duration, past the follow-up, to the notes
        await settle(pilot)
        assert app.focused.id == "notes"
        assert app.screen.region.contains_point(app.focused.region.offset)


async def test_a_follow_up_beyond_the_calendar_is_refused_beside_its_field(world, console, settle):
    """'01.01.0001 00:30' in Moscow is before the first instant a computer date holds: ctrl+s on the call
    form ended the console with a traceback (OverflowError); the reminder form said 'OverflowError'."""
    from hotline.tui.screens.log_call import LogCallScreen

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        form.query_one("#follow-up", Input).value = "01.01.0001 00:30"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.is_running and app.screen is form and isinstance(form, LogCallScreen)
        error = str(form.query_one("#follow-up-error", Static).render())
        assert error == "⚠ not a time this calendar can hold: '01.01.0001 00:30'"


async def test_a_call_over_a_day_is_refused_beside_the_duration(world, console, settle, engine):
    """25:00:00 in Duration: core refused it in a toast worded for the CLI ('duration: duration must be
    between 0 and 86400 seconds'), the field said nothing; now it says so beside it, in its units."""
    from hotline.core.models import Interaction
    from hotline.tui.screens.log_call import LogCallScreen

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        form.query_one("#duration", Input).value = "25:00:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and app.focused is form.query_one("#duration", Input)
        error = str(form.query_one("#duration-error", Static).render())
        assert error == "⚠ a call lasts at most 24:00:00, not 25:00:00"
        assert not any("86400" in n.message for n in app._notifications)
        form.query_one("#duration", Input).value = "24:00:00"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
    with UnitOfWork(engine, readonly=True) as uow:
        call = uow.session.exec(select(Interaction).order_by(Interaction.id.desc())).first()
        assert call.duration_seconds == 86400


@pytest.mark.both_backends
async def test_an_edit_writes_only_what_the_operator_changed(world, console, settle, engine, clock):
    """Edit opened, then a colleague added an email and a tag to the same client; the operator changed
    only the name and saved: the form wrote back every field as it had read it, and the colleague's
    email and tag were gone without a word. Only the fields the operator changed are written now."""
    from hotline.core.models import ClientEmail

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await edit_client_form(app, pilot, settle, world.ivanov_id)
        colleague_changes(
            engine,
            clock,
            world.ivanov_id,
            emails=[world.ivanov_email, "ivan@work.example"],
            tags=["wholesale", "retail"],
        )
        await pilot.press("space", "J", "r", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        client = uow.session.get(Client, world.ivanov_id)
        assert client.name == "Ivan Ivanov Jr"
        assert sorted(client.tags) == ["retail", "wholesale"]
        addresses = uow.session.exec(
            select(ClientEmail.address).where(ClientEmail.client_id == world.ivanov_id)
        ).all()
        assert sorted(addresses) == ["ivan@work.example", world.ivanov_email]


@pytest.mark.both_backends
async def test_an_edit_whose_client_did_not_load_saves_nothing(world, console, settle, engine, monkeypatch):
    """The edit's read failed (the database busy): the form stayed open with empty fields, and a name
    typed there and saved wrote the empty phones, emails, group and tags over the client's. It now says
    the client did not load and saves nothing."""
    import sqlite3

    from hotline.core.models import ClientEmail
    from hotline.core.services import clients

    def busy(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        monkeypatch.setattr(clients, "client_card", busy)
        await pilot.press("e")
        await settle(pilot)
        monkeypatch.undo()
        form = app.screen
        assert isinstance(form, NewClientScreen)
        form.query_one("#name", Input).value = "Ivan Ivanov Jr"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(
            n.message == "Not saved: this client's details did not load (Esc, then e to try again)."
            for n in app._notifications
        )
    with UnitOfWork(engine, readonly=True) as uow:
        client = uow.session.get(Client, world.ivanov_id)
        assert (client.name, client.tags) == ("Ivan Ivanov", ["wholesale"])
        assert client.group_id is not None
        emails = uow.session.exec(select(ClientEmail.address).where(ClientEmail.client_id == client.id)).all()
        assert emails == [world.ivanov_email]


@pytest.mark.both_backends
async def test_a_duration_typed_with_a_character_it_does_not_take_is_refused_not_mangled(
    world, console, settle, engine
):
    """Duration took only digits and colons: "1.5" (a minute and a half) typed lost its point without a
    word (a terminal bell at most) and the call was logged as 15 minutes, "Call logged.". The field now
    keeps what was typed and the save says it is not a duration."""
    from hotline.core.models import Interaction
    from hotline.tui.screens.log_call import LogCallScreen
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        duration = form.query_one("#duration", Input)
        duration.value = ""
        duration.focus()
        type_at_once(app, "1.5<ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is form
        assert duration.value == "1.5"
        assert str(form.query_one("#duration-error", Static).render()) == "⚠ not a duration: '1.5' (use m:ss)"
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Interaction).where(Interaction.duration_seconds == 900)).all() == []


@pytest.mark.both_backends
async def test_a_birthday_typed_with_a_letter_is_refused_not_mangled(world, console, settle, engine):
    """Birthday took only digits and . / - and spaces: "1O.01.1990" (a letter O for the zero) lost the
    O without a word and the client was saved born on 1 January, not the 10th. The field now keeps
    what was typed and the save says it is not a date."""
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_client_form(app, pilot, settle)
        form.query_one("#name", Input).value = "Olga Birthday"
        form.query_one("#birthday", Input).focus()
        type_at_once(app, "1O.01.1990<ctrl+s>")
        await wait_typed(pilot, settle)
        assert app.screen is form
        assert form.query_one("#birthday", Input).value == "1O.01.1990"
        assert "'1O.01.1990' is not a date" in str(form.query_one("#birthday-error", Static).render())
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Client).where(Client.name == "Olga Birthday")).all() == []


@pytest.mark.both_backends
async def test_a_field_changed_meanwhile_by_a_colleague_is_not_saved_over(
    world, console, settle, engine, clock
):
    """Both changed the same field (the name): the last save won without a word and the colleague's
    correction was gone. The save is refused, saying what the field is now; the form stays open."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await edit_client_form(app, pilot, settle, world.ivanov_id)
        colleague_changes(engine, clock, world.ivanov_id, name="Ivan Ivanov Sr")
        await pilot.press("space", "J", "r", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        errors = [n.message for n in app._notifications if n.severity == "error"]
        assert any("changed by someone else" in m and "name is now 'Ivan Ivanov Sr'" in m for m in errors), (
            errors
        )
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.get(Client, world.ivanov_id).name == "Ivan Ivanov Sr"

"""New client: prefill from the lookup, duplicate warning, saving opens the card, bad input stays."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import Input, Static

from hotline.core.db import UnitOfWork
from hotline.core.models import Client, ClientPhone
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.new_client import NewClientScreen, prefill_from
from tests.tui.keys_at_once import type_at_once, wait_typed
from tests.tui.test_type_ahead_flows import slowed


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("+7 (912) 345-67-89", {"phone": "+7 (912) 345-67-89"}),
        ("89123456789", {"phone": "89123456789"}),
        ("+7 912 345\u201367\u201389", {"phone": "+7 912 345\u201367\u201389"}),  # en dashes, as copied
        ("\uff18\uff19\uff11\uff12 345 67 89", {"phone": "\uff18\uff19\uff11\uff12 345 67 89"}),
        ("Ivan Petrov", {"name": "Ivan Petrov"}),
        ("ivan@example.com", {"email": "ivan@example.com"}),
        ("Иван Иванов <Ivan@Example.com>", {"name": "Иван Иванов", "email": "Ivan@Example.com"}),  # From line
        ('"Ivanov, Ivan" <ivan@example.com>', {"name": "Ivanov, Ivan", "email": "ivan@example.com"}),
        ("mailto:ivan@example.com", {"email": "ivan@example.com"}),
        ("ivan@example.com.", {"email": "ivan@example.com"}),
        ("Room 101", {"name": "Room 101"}),
        ("  ", {}),
    ],
)
def test_prefill_from_what_was_typed(typed, expected):
    assert prefill_from(typed) == expected


async def open_form(app, pilot, settle, typed: str) -> NewClientScreen:
    await settle(pilot)
    app.open_new_client(typed)
    await settle(pilot)
    assert isinstance(app.screen, NewClientScreen)
    return app.screen


async def test_duplicate_phone_warns_and_ctrl_o_opens_the_existing_client(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot, settle, "8 912 345 67 89")
        warning = str(form.query_one("#duplicates", Static).render())
        assert "already belongs to" in warning and "Ivan Ivanov" in warning
        form.query_one("#phones", Input).value = "+7 999 123-45-67"
        await settle(pilot)
        assert str(form.query_one("#duplicates", Static).render()) == ""
        form.query_one("#emails", Input).value = "IVANOV@example.com"
        await settle(pilot)
        assert "Ivan Ivanov" in str(form.query_one("#duplicates", Static).render())
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.ivanov_id


async def test_save_creates_the_client_and_opens_its_card(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot, settle, "+7 999 000-11-22")
        form.query_one("#name", Input).value = "Olga Smirnova"
        form.query_one("#emails", Input).value = "olga@example.com"
        form.query_one("#birthday", Input).value = "17.05.1990"
        form.query_one("#group", Input).value = "VIP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        client_id = app.screen.client_id
    with UnitOfWork(engine, readonly=True) as uow:
        client = uow.session.get(Client, client_id)
        assert client.name == "Olga Smirnova" and client.birthday.isoformat() == "1990-05-17"
        phones = uow.session.exec(select(ClientPhone.e164).where(ClientPhone.client_id == client_id)).all()
        assert phones == ["+79990001122"]


async def test_bad_input_shows_why_and_keeps_the_form(world, console, settle, engine):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot, settle, "Petr")
        form.query_one("#phones", Input).value = "12"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "not a phone number: 12" in str(form.query_one("#phones-error", Static).render())
        form.query_one("#phones", Input).value = ""
        form.query_one("#birthday", Input).value = "01.13.1990"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "there is no month 13" in str(form.query_one("#birthday-error", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, NewClientScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        assert uow.session.exec(select(Client).where(Client.name == "Petr")).first() is None


async def test_a_number_typed_into_the_name_of_an_empty_form_moves_to_phones(world, console, settle, engine):
    from tests.tui.keys_at_once import type_at_once, wait_typed

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        type_at_once(app, "<f4>+7 999 111-22-77<ctrl+s>")
        await wait_typed(pilot, settle)
        form = app.screen
        assert isinstance(form, NewClientScreen)
        assert form.query_one("#name", Input).value == ""
        assert form.query_one("#phones", Input).value == "+7 999 111-22-77"
        assert "a client needs a name" in str(form.query_one("#name-error", Static).render())
        type_at_once(app, "Olga Smirnova<ctrl+s>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        phone = uow.session.exec(select(ClientPhone).where(ClientPhone.e164 == "+79991112277")).one()
        assert uow.session.get(Client, phone.client_id).name == "Olga Smirnova"


async def test_ctrl_o_typed_with_the_number_waits_for_the_duplicate_check(
    world, console, settle, monkeypatch
):
    """The number and ctrl+o typed at once, before the slow check answers: the existing client opens (ctrl+o
    was dropped, and the operator went on to make a second Ivanov)."""
    from hotline.core.services import clients

    slowed(monkeypatch, clients, "find_clients_by_contact")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_form(app, pilot, settle, "")
        type_at_once(app, "<tab>+7 912 345-67-89<ctrl+o>")
        await wait_typed(pilot, settle)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.ivanov_id


async def test_a_name_prefilled_longer_than_a_name_can_be_is_refused_beside_it(
    world, console, settle, engine
):
    """A long paste in the lookup, then Enter: the form's Name held all of it (the field's limit stops only
    typing), and ctrl+s saved a 400-character name on SQLite, a database error on PostgreSQL."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot, settle, "zed " * 100)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = str(form.query_one("#name-error", Static).render())
        assert error == "⚠ a name is at most 300 characters (this one has 399)"
    with UnitOfWork(engine, readonly=True) as uow:
        assert not uow.session.exec(select(Client).where(Client.name.startswith("zed"))).all()


async def test_pastes_into_the_forms_fields_are_whole_or_said(world, console, settle) -> None:
    """Every one-line field took only the first line of a paste (phones copied from a mail, one a line, kept
    the first) and dropped a paste over its length with only the bell; now lines are joined (phones and
    emails by commas) and a paste too long is said in a toast, as the new ticket's subject already was."""
    from textual import events
    from textual.widgets import Input

    from hotline.tui.screens.new_client import NAME_MAX

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_form(app, pilot, settle, "")
        name = form.query_one("#name", Input)
        name.focus()
        await settle(pilot)
        app.post_message(events.Paste("x" * (NAME_MAX + 1)))
        await settle(pilot)
        assert name.value == ""
        said = [str(n.message) for n in app._notifications]
        assert (
            f"Not pasted: a name holds at most {NAME_MAX} characters and the paste has {NAME_MAX + 1}."
            in said
        )
        app.post_message(events.Paste("Ivan\n Petrov\n"))
        await settle(pilot)
        assert name.value == "Ivan Petrov"
        phones = form.query_one("#phones", Input)
        phones.focus()
        await settle(pilot)
        app.post_message(events.Paste("+7 912 345-67-89\r\n+7 495 123-45-67\n"))
        await settle(pilot)
        assert phones.value == "+7 912 345-67-89, +7 495 123-45-67"


def test_every_one_line_field_of_the_console_takes_pastes_whole() -> None:
    """The console's one-line fields are ``OneLineInput`` (or built on it), never a bare ``Input``."""
    import re
    from pathlib import Path

    import hotline.tui

    root = Path(hotline.tui.__file__).parent
    bare = [
        f"{path.relative_to(root)}:{number}"
        for path in sorted(root.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if re.search(r"(?<![\w.])Input\(|\(Input\)", line) and path.name != "one_line_input.py"
    ]
    assert bare == []

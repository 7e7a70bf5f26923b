"""Help and the command palette come from the command registry, like the bindings."""

from __future__ import annotations

import pytest
from rich.console import Console
from textual.command import CommandPalette
from textual.widgets import Input

from hotline.tui.commands import Command, all_commands, bindings_for, commands_for, register
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.help import HelpScreen, keys_table
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.log_call import LogCallScreen


def table_text(renderable) -> str:
    console = Console(width=300, record=True, color_system=None)
    console.print(renderable)
    return " ".join(console.export_text().split())


def test_bindings_are_derived_from_the_registry():
    import hotline.tui.screens.client_card  # noqa: F401 — registers the card's commands

    for scope in ("app", "card"):
        bindings = bindings_for(scope)
        commands = commands_for(scope)
        assert [(b.key, b.action, b.id) for b in bindings] == [(c.key, c.action, c.id) for c in commands]
    assert {c.key for c in commands_for("card")} >= {"c", "t", "n", "r", "e", "escape"}


def test_a_key_cannot_be_bound_twice_in_a_scope():
    with pytest.raises(ValueError, match="bound twice"):
        register(Command(id="card.clash", key="c", title="x: y", help="z", action="noop", scope="card"))
    assert "card.clash" not in {c.id for c in all_commands()}


def test_home_keys_never_take_letters_from_the_lookup_box():
    import hotline.tui.screens.home  # noqa: F401

    for command in commands_for("home") + commands_for("app"):
        for key in command.key.split(","):
            assert len(key) > 1 or command.scope != "home", command
            if command.scope == "app" and key not in {"question_mark"}:
                assert key.startswith(("f", "ctrl+")), command


async def test_question_mark_types_in_the_box_and_f1_opens_help(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        assert app.screen.query_one("#lookup", Input).value == "?"
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.scope == "home"
        text = table_text(keys_table(app.screen.scope))
        for command in commands_for("home") + commands_for("app"):
            assert command.help in text
        assert "log a call" not in text
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_help_on_the_card_lists_the_card_keys(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.scope == "card"
        text = table_text(keys_table(app.screen.scope))
        assert "client: log a call" in text and "client: edit" in text


async def test_palette_runs_a_card_command(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"log a call")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LogCallScreen)


async def test_f2_goes_home_from_anywhere(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)


async def test_a_card_read_landing_after_f2_left_the_card_changes_nothing(world, console, settle):
    """F2 from a form over a card resumes the card for an instant on its way home, and the card begins
    reading itself again (it re-reads on every return); on a busy machine that read landed while the
    card's widgets were being removed, and filling them ended the console (``NoMatches`` on a tab's
    underline; a full CI-like run saw it). A read that lands off the stack is dropped."""
    from hotline.tui.messages import read_card

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        card = app.screen
        assert isinstance(card, ClientCardScreen)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        card.on_card_loaded(read_card(app.ctx, world.ivanov_id))  # the late read, delivered
        assert app.is_running and isinstance(app.screen, HomeScreen)


async def test_help_lists_the_keys_of_the_reminders_list_too(world, console, settle):
    """The reminders list has keys of its own (d done, s/h/T snooze, Enter the client); F1 on Home or on a
    card never listed them, and the card's help said d dials and h shows the history: not in that list."""
    app = console()
    async with app.run_test(size=(100, 50)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("3", "f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = table_text(keys_table(app.screen.scope, getattr(app.screen, "parts", ())))
        assert "Reminders list" in text
        assert "reminder: done" in text and "reminder: snooze an hour" in text

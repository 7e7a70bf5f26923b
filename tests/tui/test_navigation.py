"""Screens ask for other screens with typed messages; the app, which owns the screen stack, opens them."""

from __future__ import annotations

import re
from pathlib import Path

from hotline.tui.messages import NewClientRequested, OpenClientRequested, OpenTicketRequested
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.screens.ticket import TicketScreen

TUI = Path(__file__).parents[2] / "tui"


def test_no_screen_or_widget_calls_the_app_to_navigate() -> None:
    """``self.app.open_*()  # type: ignore`` hid a call the type checker could not see; messages are typed.
    (Textual's own ``App.open_url``, typed, is not hotline's navigation.)"""
    offenders = [
        f"{path.relative_to(TUI)}:{number}: {line.strip()}"
        for path in sorted(TUI.rglob("*.py"))
        if path.name != "app.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if re.search(r"\.app\.open_(?!url\()\w+\(|type: ignore\[attr-defined\]", line)
    ]
    assert offenders == []


async def test_each_request_opens_its_screen(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        home.post_message(OpenClientRequested(world.ivanov_id))
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.client_id == world.ivanov_id
        app.screen.post_message(OpenTicketRequested(world.ticket_number))
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == world.ticket_number
        app.screen.post_message(NewClientRequested("8 912 000 11 22"))
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        assert [type(screen) for screen in app.screen_stack[1:]] == [
            HomeScreen,
            ClientCardScreen,
            TicketScreen,
            NewClientScreen,
        ]


async def test_enter_twice_before_the_first_is_handled_opens_one_card(world, console, settle):
    """At zero delay both key presses reach the home screen before the app has pushed the card."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*"Ivanov")
        await settle(pilot)
        home = app.screen
        home.action_open_selection()
        home.action_open_selection()
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert [type(screen) for screen in app.screen_stack[1:]] == [HomeScreen, ClientCardScreen]

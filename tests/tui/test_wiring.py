"""Keys that lead to the other screens: queues (F3), a ticket from a hit or the card, the KB modal."""

from __future__ import annotations

from textual.widgets import Input, TextArea

from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.kb_search import KbChoice, KbSearchScreen
from hotline.tui.screens.log_call import LogCallScreen
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.ticket import TicketScreen


async def test_f3_opens_the_queues_and_f2_comes_home(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.focused is app.screen.query_one("#lookup", Input)


async def test_a_ticket_hit_opens_the_ticket(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press(*f"#{world.ticket_number}")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.number == world.ticket_number


async def test_enter_on_the_cards_open_tickets_opens_the_ticket(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await pilot.press("2")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        assert app.screen.number == world.ticket_number


async def test_ctrl_k_inserts_the_chosen_article_into_the_call_notes(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LogCallScreen)
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert isinstance(app.screen, KbSearchScreen)
        choice = KbChoice(
            article_id=1, slug="reset", title="Reset", body="Open Settings \x1b[2J→ Reset.", audience="client"
        )
        app.screen.dismiss(choice)
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#notes", TextArea).text == "Open Settings → Reset."

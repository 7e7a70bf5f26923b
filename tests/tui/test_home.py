"""Home: the lookup box, live results, opening a hit, the no-hit path, the status bar."""

from __future__ import annotations

import pytest
from textual import events
from textual.widgets import Input

from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.new_client import NewClientScreen
from hotline.tui.widgets.lookup_results import LookupResults
from hotline.tui.widgets.status_bar import StatusBar


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{" ": "space"}.get(char, char) for char in text])


async def test_lookup_box_has_focus_and_phone_fragment_opens_card(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, HomeScreen)
        assert app.focused is app.screen.query_one("#lookup", Input)
        await type_text(pilot, "345 67")
        await settle(pilot)
        hits = app.screen.query_one(LookupResults).hits
        assert [hit.id for hit in hits][:1] == [world.ivanov_id]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.ivanov_id


async def test_results_follow_the_last_keystroke(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Ivanov")
        await pilot.press(*["backspace"] * 6)
        await type_text(pilot, "495111")
        await settle(pilot)
        home = app.screen
        assert home.query_one("#lookup", Input).value == "495111"
        assert [hit.id for hit in home.query_one(LookupResults).hits] == [world.hostile_id]
        await pilot.press("escape")
        await settle(pilot)
        assert home.query_one("#lookup", Input).value == ""
        assert home.query_one(LookupResults).hits == []


async def test_enter_before_results_arrive_still_opens_the_hit(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "ivanov@example")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        assert app.screen.client_id == world.ivanov_id


@pytest.mark.parametrize(
    ("typed", "field", "expected"),
    [("+7 999 000-11-22", "#phones", "+7 999 000-11-22"), ("Nobody Known", "#name", "Nobody Known")],
)
async def test_no_hit_offers_new_client_prefilled(world, console, settle, typed, field, expected):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, typed)
        await settle(pilot)
        assert app.screen.query_one(LookupResults).hits == []
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        assert app.screen.query_one(field, Input).value == expected


async def test_a_number_pasted_with_a_documents_dashes_is_the_new_clients_phone(world, console, settle):
    """Copied from a page or a document, a number has en dashes: no hit, Enter, and it is in Phones
    (it was put in Name)."""
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.post_message(events.Paste("+7 999 000\u201311\u201322"))
        await settle(pilot)
        assert app.screen.query_one(LookupResults).hits == []
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        assert app.screen.query_one("#phones", Input).value == "+7 999 000\u201311\u201322"
        assert app.screen.query_one("#name", Input).value == ""


async def test_arrow_keys_move_the_highlight(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "Ivanov")
        await settle(pilot)
        results = app.screen.query_one(LookupResults)
        assert results.option_count >= 2
        await pilot.press("down")
        assert results.highlighted == 1
        await pilot.press("up", "up")
        assert results.highlighted == 0


async def test_status_bar_and_my_tickets(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        status = app.screen.query_one(StatusBar).render().plain
        assert "anna · Anna Petrova" in status
        assert "(operator)" in status
        assert app.ctx.engine.dialect.name in status
        assert "Mon 23 Nov 10:00" in status
        summary = app.screen.query_one("#summary").render()
        assert "1 open" in str(summary)
        assert f"#{world.ticket_number}" in str(summary)


async def test_f4_opens_new_client_from_the_box(world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await type_text(pilot, "new@example.org")
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, NewClientScreen)
        assert app.screen.query_one("#emails", Input).value == "new@example.org"


@pytest.mark.both_backends  # the live signal of another connection's write
async def test_my_tickets_follow_what_is_taken_here_and_assigned_elsewhere(
    world, console, settle, engine, clock
):
    """My tickets on Home were read again on coming back only after a lookup had been typed (a ticket taken
    on F3 first thing stayed out of them), and never for a ticket assigned to me while Home was shown."""
    from hotline.core.db import UnitOfWork
    from hotline.core.services.tickets import assign_ticket, create_ticket
    from tests.tui.conftest import wait_until

    with UnitOfWork(engine, clock=clock) as uow:
        taken = create_ticket(uow, subject="Take me", queue="Support").number
        assigned = create_ticket(uow, subject="Given to anna", queue="Support").number
    app = console(poll_screen_pops=True)

    def summary() -> str:
        return str(app.screen.query_one("#summary").render())

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        home = app.screen
        assert "1 open" in summary()
        await pilot.press("f3")
        await settle(pilot)
        table = app.screen.query_one("#queue-table")
        table.move_cursor(row=table.get_row_index(str(taken)))
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is home and "2 open" in summary(), "the taken ticket")
        with UnitOfWork(engine, clock=clock) as uow:  # a supervisor, elsewhere
            assign_ticket(uow, number=assigned, expected_version=None, assignee_login="anna", sla=None)
        await wait_until(pilot, lambda: "3 open" in summary(), "the ticket assigned elsewhere")
        assert f"#{assigned}" in summary()

"""The ticket screen explains the event rules on ``x``: which matched, which did not and why, what they
did — the same as ``hotline rules explain`` — shown as data (a hostile subject stays text)."""

from __future__ import annotations

import pytest
from textual.widgets import Static

from hotline.core.db import UnitOfWork
from hotline.core.services.tickets import create_ticket
from hotline.tui.screens.ticket_rules import TicketRulesScreen
from tests.core.rules.conftest import book_from
from tests.tui.test_ticket import open_ticket

RULES = """
[[rules]]
name = "routers"
on = "ticket.created"
when = { words = ["роутер"] }
actions = [{ priority = "high" }, { note = "Routed: {ticket.subject}" }]

[[rules]]
name = "billing"
on = "ticket.created"
when = { queue = "Billing" }
actions = [{ priority = "low" }]

[[rules]]
name = "ghost"
on = "ticket.created"
actions = [{ assign = "ghost" }]
"""


@pytest.fixture
def routed(world, engine, clock) -> int:
    with UnitOfWork(engine, clock=clock, rules=book_from(RULES)) as uow:
        return create_ticket(uow, subject="Роутера [b]нет[/b]", queue="Support").number


async def test_x_shows_what_the_rules_did(world, routed, console, settle) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, routed)
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, TicketRulesScreen)
        text = str(app.screen.query_one("#rules-text", Static).render())
        assert "✓ routers: priority set to high; note added" in text
        assert "· billing: not matched: queue is Support, not Billing" in text
        assert "✗ ghost: matched, FAILED: unknown operator 'ghost'" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, TicketRulesScreen)


async def test_a_ticket_no_rule_saw(world, console, settle) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("x")
        await settle(pilot)
        assert "No rule was evaluated" in str(app.screen.query_one("#rules-text", Static).render())


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_rules_at_80x24(backend, world, routed, console, snap_compare):
    from tests.tui.test_ticket_mail import _ticket_then

    assert snap_compare(console(), terminal_size=(80, 24), run_before=_ticket_then(routed, "x"))


async def test_rules_that_could_not_be_read_do_not_say_reading_for_ever(world, console, settle, monkeypatch):
    """The database failed while the rules were read: the toast said so, and the panel went on saying
    "Reading…" until closed."""
    from hotline.core.errors import Unavailable
    from hotline.core.rules import explain

    def unavailable(*args, **kwargs):
        raise Unavailable("database unavailable: the server closed the connection")

    monkeypatch.setattr(explain, "explain_ticket", unavailable)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_ticket(app, pilot, settle, world.ticket_number)
        await pilot.press("x")
        await settle(pilot)
        said = str(app.screen.query_one("#rules-text", Static).render())
        assert said == "Not read: database unavailable: the server closed the connection", said

"""Every screen fits at 80×24 with nothing cut mid-word: the ticket header keeps the requester and the
opened date, the queues header its total, the Due column "late 9d 9h" whole, the footer ends cleanly,
and reminders due at start-up make one toast, not a stack."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.core.db import UnitOfWork
from hotline.core.services.reminders import create_reminder
from hotline.core.services.tickets import create_ticket
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.ticket import TicketScreen


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


@pytest.fixture
def late_ticket(world, engine, clock) -> int:
    """A ticket 9 days 9 hours past its first-response deadline, with a requester's address."""
    with UnitOfWork(engine, clock=clock) as uow:
        ticket = create_ticket(
            uow,
            subject="Refund for the double charge on the November invoice",
            queue="Support",
            client_id=world.ivanov_id,
            body="Please refund.",
            requester="ivan.ivanov.accounts@example.com",
        )
        ticket.first_response_due_at = clock.now() - timedelta(days=9, hours=9, minutes=5)
        uow.session.add(ticket)
        return ticket.number


async def test_ticket_header_at_80x24_keeps_requester_and_opened(late_ticket, console, settle):
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.open_ticket(late_ticket)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        header = "\n".join(screen_lines(app)[:8])
        assert "requester ivan.ivanov.accounts@example.com" in header
        assert "opened 23.11.2026" in header
        assert "due late 9d 9h" in header


async def test_queues_at_80x24_keep_the_total_and_whole_countdowns(late_ticket, console, settle):
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
        lines = screen_lines(app)
        assert lines[2].rstrip().endswith("2 tickets"), lines[2]
        assert any("late 9d 9h " in line for line in lines), "\n".join(lines)


@pytest.mark.parametrize("width", [80, 120])
async def test_the_footer_ends_with_the_palette_key(world, console, settle, width):
    app = console()
    async with app.run_test(size=(width, 24)) as pilot:
        await settle(pilot)
        for key in ("", "f3", "escape"):  # home, queues, and after going back
            if key:
                await pilot.press(key)
                await settle(pilot)
            footer = screen_lines(app)[-1]
            assert footer.rstrip().endswith("^p Commands"), repr(footer)
        app.open_client(world.ivanov_id)
        await settle(pilot)
        footer = screen_lines(app)[-1]
        assert footer.rstrip().endswith("^p Commands"), repr(footer)
        before_palette = footer[: footer.index("▏")].rstrip()
        assert before_palette.split()[-1] in {"Quit", "Help", "Lookup", "Queues", "KB", "Back", "More"}


async def test_reminders_due_at_start_make_one_toast(world, console, settle, engine, clock):
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for hour in range(6):
            create_reminder(
                uow,
                text=f"Call back about order {hour}",
                due_at=clock.now() - timedelta(hours=hour + 1),
                client_id=world.ivanov_id,
            )
    app = console()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        reminders = [n for n in app._notifications if n.title.startswith("Reminder")]
        assert len(reminders) == 1
        assert reminders[0].message.startswith("6 reminders are due")

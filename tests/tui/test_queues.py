"""The queues screen: counts per queue, views, status filter, countdowns, take / assign / open, conflicts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rich.text import Text
from textual.widgets import Tab

from hotline.core.db import UnitOfWork
from hotline.core.models.enums import Priority, Role, TicketStatus
from hotline.core.services.operators import add_operator
from hotline.core.services.queues import ensure_queue
from hotline.core.services.tickets import create_ticket, get_ticket, ticket_detail, update_ticket
from hotline.tui.screens import queues as queues_module
from hotline.tui.screens.queues import QueuesScreen
from hotline.tui.screens.ticket import TicketScreen
from hotline.tui.screens.ticket_edit import ChoiceScreen
from hotline.tui.widgets.queue_tabs import QueueTabs
from hotline.tui.widgets.sla_countdown import Urgency, countdown, urgency
from hotline.tui.widgets.ticket_table import TicketTable
from tests.tui.conftest import wait_for_workers

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

HOSTILE_SUBJECT = "[bold red]x[/] \x1b[2Jwiped"


@pytest.fixture
def queue_world(world, engine, clock):
    """Besides ``world``'s ticket (anna's, Support, no deadline): boris, a Sales queue and three tickets
    with deadlines — overdue and unassigned, due in 30 min (yellow), due in 6 h (green, Sales)."""
    now = clock.now()
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="boris", role=Role.OPERATOR, display_name="Boris Orlov")
        ensure_queue(uow, name="Sales")
        numbers = {}
        for key, queue, due_in, assignee, subject in (
            ("overdue", "Support", -timedelta(minutes=12), None, HOSTILE_SUBJECT),
            ("soon", "Support", timedelta(minutes=30), "boris", "Printer on fire"),
            ("later", "Sales", timedelta(hours=6), None, "Price list please"),
        ):
            ticket = create_ticket(
                uow,
                subject=subject,
                queue=queue,
                priority=Priority.HIGH,
                body="hello",
                assignee_login=assignee,
                typed=False,  # as from mail: a hostile subject typed is refused in core
            )
            ticket.first_response_due_at = now + due_in
            uow.session.add(ticket)
            numbers[key] = ticket.number
    numbers["mine"] = world.ticket_number
    return numbers


async def open_queues(app, pilot, settle) -> QueuesScreen:
    await settle(pilot)
    await pilot.press("f3")
    await settle(pilot)
    assert isinstance(app.screen, QueuesScreen)
    return app.screen


def listed(screen: QueuesScreen) -> list[int]:
    return list(screen.query_one(TicketTable).rows_shown)


async def test_lists_open_tickets_next_deadline_first_with_coloured_countdowns(queue_world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        table = screen.query_one(TicketTable)
        assert listed(screen) == [
            queue_world["overdue"],
            queue_world["soon"],
            queue_world["later"],
            queue_world["mine"],
        ]
        due = [table.get_cell(str(n), "due") for n in listed(screen)]
        assert [cell.plain for cell in due] == ["late 12m", "in 30m", "in 6h 00m", "—"]
        assert [str(cell.style) for cell in due[:3]] == ["bold red", "bold yellow", "green"]
        subject = table.get_cell(str(queue_world["overdue"]), "subject")
        assert isinstance(subject, Text) and subject.plain == "[bold red]x[/] wiped"
        tabs = screen.query_one(QueueTabs)
        labels = [str(tab.label) for tab in tabs.query(Tab)]
        assert labels == ["All 4 !1", "Sales 1", "Support 3 !1"]


async def test_views_and_status_filter(queue_world, console, settle, engine, clock):
    with UnitOfWork(engine, clock=clock) as uow:
        update_ticket(uow, number=queue_world["later"], expected_version=None, status=TicketStatus.PENDING)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        await pilot.press("2")
        await settle(pilot)
        assert listed(screen) == [queue_world["mine"]]
        await pilot.press("3")
        await settle(pilot)
        assert listed(screen) == [queue_world["overdue"], queue_world["later"]]
        await pilot.press("4")
        await settle(pilot)
        assert listed(screen) == [queue_world["overdue"]]
        await pilot.press("1", "s", "s", "s")  # all; then new, open, pending
        await settle(pilot)
        assert screen.status == "pending"
        assert listed(screen) == [queue_world["later"]]
        await pilot.press("s", "s", "s")  # resolved, closed, back to the open ones
        await settle(pilot)
        assert screen.status is None and len(listed(screen)) == 4


async def test_choosing_a_queue_lists_only_its_tickets(queue_world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        await pilot.press("right_square_bracket")  # Sales
        await settle(pilot)
        assert screen.queue == "Sales"
        assert listed(screen) == [queue_world["later"]]
        await pilot.press("right_square_bracket")  # Support
        await settle(pilot)
        assert screen.queue == "Support"
        assert listed(screen) == [queue_world["overdue"], queue_world["soon"], queue_world["mine"]]
        await pilot.press("2")  # the counts follow the view
        await settle(pilot)
        assert [str(tab.label) for tab in screen.query(Tab)] == ["All 1 !1", "Sales 0", "Support 1 !1"]
        await pilot.press("left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.queue is None and listed(screen) == [queue_world["mine"]]
        assert screen.query_one(TicketTable).has_focus


async def test_take_assigns_the_selected_ticket_to_me(queue_world, console, settle, engine, clock):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        assert screen.query_one(TicketTable).selected_row().number == queue_world["overdue"]
        await pilot.press("t")
        await settle(pilot)
        table = screen.query_one(TicketTable)
        assert table.get_cell(str(queue_world["overdue"]), "assignee").plain == "anna"
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert ticket_detail(uow, number=queue_world["overdue"]).ticket.assignee_login == "anna"


async def test_assign_picks_an_operator_in_a_modal(queue_world, console, settle, engine, clock):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_queues(app, pilot, settle)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ChoiceScreen)
        await pilot.press("home", "down", "enter")  # Anna Petrova, Boris Orlov, nobody → Boris
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert ticket_detail(uow, number=queue_world["overdue"]).ticket.assignee_login == "boris"


async def test_take_after_someone_else_changed_the_ticket_says_so(
    queue_world, console, settle, engine, clock
):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        with UnitOfWork(engine, clock=clock) as uow:
            version = get_ticket(uow, number=queue_world["overdue"]).version
            update_ticket(
                uow, number=queue_world["overdue"], expected_version=version, assignee_login="boris"
            )
        await pilot.press("t")
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("changed by someone else meanwhile" in m for m in messages)
        assert (
            screen.query_one(TicketTable).get_cell(str(queue_world["overdue"]), "assignee").plain == "boris"
        )
    with UnitOfWork(engine, clock=clock, readonly=True) as uow:
        assert ticket_detail(uow, number=queue_world["overdue"]).ticket.assignee_login == "boris"


async def test_enter_opens_the_ticket_and_escape_comes_back(queue_world, console, settle):
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await open_queues(app, pilot, settle)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.number == queue_world["soon"]
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueuesScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, QueuesScreen)


def test_urgency_thresholds(clock):
    now = clock.now()
    start = now - timedelta(hours=30)
    assert urgency(now + timedelta(hours=10), start, now) is Urgency.OK  # 25 % of 40 h left
    assert urgency(now + timedelta(hours=9), start, now) is Urgency.SOON  # under 25 %
    assert urgency(now + timedelta(minutes=59), now - timedelta(minutes=1), now) is Urgency.SOON  # under 1 h
    assert urgency(now, start, now) is Urgency.OVERDUE
    assert urgency(None, start, now) is Urgency.NONE
    assert urgency(now - timedelta(days=1), start, now, paused=True) is Urgency.PAUSED
    assert countdown(now - timedelta(days=2, hours=3), start, now).plain == "late 2d 3h"
    assert countdown(now + timedelta(seconds=40), start, now).plain == "in 40s"


async def _show_queues(pilot) -> None:
    for _ in range(3):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    await pilot.press("f3")
    for _ in range(4):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    await pilot.pause()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_queues(backend, queue_world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(100, 30), run_before=_show_queues)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_snapshot_queues_at_80x24(backend, queue_world, console, snap_compare):
    assert snap_compare(console(), terminal_size=(80, 24), run_before=_show_queues)


async def test_more_tickets_than_a_page_are_read_as_the_cursor_nears_the_last(
    queue_world, console, settle, engine, clock, monkeypatch
):
    """A queue listing more tickets than the screen reads (500) said "500 of 3000" and the rest could not
    be reached from it; the cursor nearing the last one shown reads the next page."""
    from hotline.core.services import tickets
    from hotline.tui.screens import queues

    listing = tickets.queue_tickets

    def three_by_default(*args, limit=3, **kwargs):  # core's default, 500, made small
        return listing(*args, limit=limit, **kwargs)

    monkeypatch.setattr(tickets, "queue_tickets", three_by_default)
    monkeypatch.setattr(queues, "PAGE", 3, raising=False)
    with UnitOfWork(engine, clock=clock) as uow:
        for n in range(4):
            create_ticket(uow, subject=f"more {n}", queue="Support")
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        assert len(listed(screen)) == 3
        assert str(screen.query_one("#queues-total").render()) == "3 of 8"
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(listed(screen)) == 6
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(listed(screen)) == 8
        assert str(screen.query_one("#queues-total").render()) == "8 tickets"
        await pilot.press("2")  # another view: its first page
        await settle(pilot)
        assert screen.limit == 3


async def test_a_take_clicked_while_a_save_runs_is_said_not_dropped(
    queue_world, console, settle, monkeypatch
):
    """``t`` clicked on the footer while another take was still being saved (a click does not wait as typed
    keys do) did nothing and said nothing; the console says the ticket was not taken, as the ticket screen
    does."""
    import threading

    release = threading.Event()
    apply = queues_module.apply_change

    def held(*args, **kwargs):
        release.wait(10)
        return apply(*args, **kwargs)

    monkeypatch.setattr(queues_module, "apply_change", held)
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_queues(app, pilot, settle)
        await screen.run_action("take_ticket")  # the first: held in its save
        await pilot.pause()
        await screen.run_action("take_ticket")  # what a click on the footer's key runs
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        release.set()
        await settle(pilot)
    first = queue_world["overdue"]  # the first listed, selected
    assert f"Still saving the last change, so #{first} was not taken; try again in a moment." in said, said

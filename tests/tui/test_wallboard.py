"""The wallboard (F7): live figures for supervisors that refresh by themselves; a snapshot at 80x24 on
the fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import DataTable, Static
from textual_plotext import PlotextPlot

from hotline.core.db import UnitOfWork
from hotline.core.models import ScreenPop
from hotline.core.models.enums import Direction, Role
from hotline.core.services.interactions import log_call
from hotline.core.services.operators import add_operator
from hotline.core.services.shifts import set_shifts
from hotline.core.services.tickets import create_ticket
from hotline.tui.screens.wallboard import WallboardScreen, age_text, percent_text
from tests.tui.conftest import wait_for_workers, wait_until

pytestmark = pytest.mark.both_backends  # live updates and other connections' writes

SUPERVISOR = "sup"


@pytest.fixture
def morning(world, engine, clock) -> None:
    """A supervisor, calls this morning (08:xx and 09:xx Moscow time), anna on a call since 09:55 and
    oleg idle, both on shift (the supervisor has no shift: not on the floor)."""
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=SUPERVISOR, role=Role.SUPERVISOR, display_name="Supervisor")
        uow.session.add(
            ScreenPop(operator_login="anna", number="+7 900", requested_at=clock.now() - timedelta(minutes=5))
        )
        add_operator(uow, login="oleg", role=Role.OPERATOR, display_name="Oleg")
    with UnitOfWork(engine, actor_login=SUPERVISOR, clock=clock) as uow:  # the roster: who is on shift
        set_shifts(uow, login="anna", days="mon-fri", hours="09:00-18:00", timezone="Europe/Moscow")
        set_shifts(uow, login="oleg", days="mon-fri", hours="08:00-17:00", timezone="Europe/Moscow")
    with UnitOfWork(engine, actor_login="anna", clock=clock) as uow:
        for minutes in (30, 50, 70, 95):
            log_call(uow, client_id=world.ivanov_id, direction=Direction.IN, duration_seconds=60, outcome="ok",
                     started_at=clock.now() - timedelta(minutes=minutes))  # fmt: skip


async def settled(pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    await pilot.pause()


def test_age_text() -> None:
    now = datetime(2026, 11, 23, 7, tzinfo=UTC)
    assert [age_text(now - timedelta(seconds=s), now) for s in (5, 600, 3 * 3600 + 300, 50 * 3600)] == [
        "5s", "10m", "3h05m", "2d02h",
    ]  # fmt: skip
    assert age_text(None, now) == "—"


def test_a_share_below_100_never_shows_as_100() -> None:
    """One breach in 250 tickets (99.6 %) showed as a perfect "100%"."""
    assert [percent_text(share) for share in (None, 0.0, 75.0, 66.7, 99.4, 99.5, 99.6, 99.96, 100.0)] == [
        "—", "0%", "75%", "67%", "99%", "99.5%", "99.6%", "99.9%", "100%",
    ]  # fmt: skip


async def test_f7_shows_the_figures_and_they_refresh_by_themselves(morning, console, engine, clock) -> None:
    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f7")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, WallboardScreen)
        queues = screen.query_one("#wallboard-queues", DataTable)
        assert [str(cell) for cell in queues.get_row_at(0)][:2] == ["Support", "1"]
        operators = [[str(cell) for cell in operator] for operator in
                     (screen.query_one("#wallboard-operators", DataTable).get_row_at(i) for i in range(2))]  # fmt: skip
        assert operators == [
            ["anna", "on a call", "09:55", "to 18:00"], ["oleg", "no calls", "—", "to 17:00"],
        ]  # fmt: skip
        assert screen.query_one("#wallboard-operators", DataTable).row_count == 2
        assert "waiting 1" in str(screen.query_one("#wallboard-title", Static).render())
        assert screen.query_one(PlotextPlot).plt is not None
        await pilot.press("escape")
        await settled(pilot)
        assert not isinstance(app.screen, WallboardScreen)

        fast = WallboardScreen(app.ctx, refresh_seconds=0.05)
        await app.push_screen(fast)
        # its workers cancel each other (exclusive): wait on what they post, bounded
        await wait_until(pilot, lambda: fast.loads, "the wallboard's first load")
        first = fast.loads
        with UnitOfWork(engine, clock=clock) as uow:
            create_ticket(uow, subject="Another one", queue="Support")

        def support_waiting() -> list[str]:
            return [str(cell) for cell in fast.query_one("#wallboard-queues", DataTable).get_row_at(0)][:2]

        # nobody presses anything: the timer (every 0.05 s) reloads in a worker
        await wait_until(
            pilot, lambda: fast.loads > first + 1 and support_waiting() == ["Support", "2"], "a refresh"
        )


async def test_an_operator_gets_a_readable_refusal(world, console) -> None:
    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f7")
        await settled(pilot)
        assert any("supervisor" in str(notification.message) for notification in app._notifications)


async def test_a_wallboard_under_another_screen_reads_nothing_until_back_on_top(
    morning, console, engine, clock
) -> None:
    """A wallboard under another screen (F3, a call's card, F7 again from there) went on reading every
    figure every 5 seconds, each one for as long as the console ran: no one could see them."""
    from hotline.tui.screens.queues import QueuesScreen

    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        fast = WallboardScreen(app.ctx, refresh_seconds=0.05)
        await app.push_screen(fast)
        await wait_until(pilot, lambda: fast.loads, "the wallboard's first load")
        await pilot.press("f3")
        await wait_until(pilot, lambda: isinstance(app.screen, QueuesScreen), "the queues")
        await settled(pilot)
        hidden = fast.loads
        for _ in range(10):  # ten refresh periods
            await pilot.pause(0.05)
        await settled(pilot)
        assert fast.loads == hidden
        with UnitOfWork(engine, clock=clock) as uow:
            create_ticket(uow, subject="Another one", queue="Support")
        await pilot.press("escape")
        await wait_until(
            pilot,
            lambda: (
                [str(cell) for cell in fast.query_one("#wallboard-queues", DataTable).get_row_at(0)][:2]
                == ["Support", "2"]
            ),
            "the figures read again on top",
        )


async def test_an_operators_refusal_is_said_once_and_the_wallboard_closes(world, console, engine) -> None:
    """An operator's wallboard asked again every 5 seconds for as long as it was open: a refusal toast and
    a refused entry in the audit trail each time, over a board that said "loading…" for ever."""
    from sqlalchemy import func
    from sqlmodel import select

    from hotline.core.models import AuditEntry

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        fast = WallboardScreen(app.ctx, refresh_seconds=0.05)
        await app.push_screen(fast)
        await wait_until(pilot, lambda: app._notifications, "the refusal")
        for _ in range(10):  # ten refresh periods
            await pilot.pause(0.05)
        await settled(pilot)
        said = [str(notification.message) for notification in app._notifications]
        assert said == ["Only supervisors and admins can see the wallboard."]
        assert not isinstance(app.screen, WallboardScreen)
    with UnitOfWork(engine, readonly=True) as uow:
        refused = select(func.count()).where(AuditEntry.action == "refused:wallboard.read")
        assert uow.session.exec(refused).one() == 1


@pytest.mark.parametrize("backend", ["sqlite"])
def test_wallboard_snapshot_at_80x24(backend, morning, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("f7")
        await settled(pilot)

    assert snap_compare(console(operator_login=SUPERVISOR), terminal_size=(80, 24), run_before=run_before)

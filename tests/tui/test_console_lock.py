"""A console left open when its operator is deactivated (or given another role) locks: one screen says
why and offers only quitting, and nothing reads again (issue 12). On both backends: the signal comes
through LISTEN/NOTIFY or the change counter, the periodic look without one, and on PostgreSQL the
database itself refuses a role whose groups were revoked."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import event, text
from textual.widgets import Input, Static

from hotline.core.db import UnitOfWork, make_engine
from hotline.core.models.enums import Role
from hotline.core.pg_roles import apply_grants, group_role, system_role
from hotline.core.services.operators import add_operator, set_operator_active, set_operator_role
from hotline.tui import live
from hotline.tui.app import make_app
from hotline.tui.messages import ScreenPopRequested
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.home import HomeScreen
from hotline.tui.screens.locked import DEACTIVATED, REFUSED, LockedScreen, role_changed
from tests.conftest import TEST_ROLE_PREFIX
from tests.tui.conftest import OPERATOR, console_settings, wait_for_workers, wait_until

pytestmark = pytest.mark.both_backends  # live updates, and PostgreSQL's own refusal


class Statements:
    """Counts the statements run on ``engine`` while it is attached."""

    def __init__(self, engine) -> None:
        self.engine = engine
        self.count = 0

    def _seen(self, *args, **kwargs) -> None:
        self.count += 1

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc) -> None:
        event.remove(self.engine, "before_cursor_execute", self._seen)


def reason(app) -> str:
    return str(app.screen.query_one("#locked-reason", Static).render())


def deactivate(engine, clock, login: str = OPERATOR) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        set_operator_active(uow, login=login, active=False)


async def typed_makes_no_query(app, pilot, engine) -> None:
    """Keys a locked console gets (a lookup, F3 for the queues, Enter) read nothing and open nothing."""
    with Statements(engine) as statements:
        await pilot.press(*"ivanov", "enter", "f3", "escape", "f2")
        await pilot.pause(0.3)
        await wait_for_workers(app)
        await pilot.pause()
    assert statements.count == 0
    assert isinstance(app.screen, LockedScreen)
    assert [type(screen) for screen in app.screen_stack[1:]] == [LockedScreen]
    assert not any(isinstance(s, HomeScreen) for s in app.screen_stack)


async def test_deactivated_elsewhere_the_open_console_locks_and_reads_nothing(
    world, console, settle, engine, clock
) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.live is not None and app.live.watching.is_set(), "listening")
        app.open_client(world.ivanov_id)
        await settle(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        await asyncio.to_thread(deactivate, engine, clock)
        await wait_until(pilot, lambda: isinstance(app.screen, LockedScreen), "the lock screen")
        assert reason(app) == DEACTIVATED
        await typed_makes_no_query(app, pilot, engine)
        with Statements(engine) as statements:  # a call that rings now, a card asked for: nothing opens
            app.post_message(ScreenPopRequested(world.ivanov_phone, world.ivanov_id, clock.now()))
            app.open_client(world.ivanov_id)
            app.action_open_queues()
            await settle(pilot)
        assert statements.count == 0
        assert [type(screen) for screen in app.screen_stack[1:]] == [LockedScreen]
        assert not [n for n in app._notifications if n.severity == "error"]
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 0


async def test_a_lost_signal_still_locks_at_the_periodic_look(
    world, console, settle, engine, clock, monkeypatch
) -> None:
    """Deactivated in SQL (no signal, as if the notification were lost): the next look finds it."""
    monkeypatch.setattr(live, "RECHECK_SECONDS", 0.3)
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.live is not None and app.live.role == "operator", "first look")

        def quietly() -> None:
            with engine.begin() as connection:
                connection.execute(
                    text("UPDATE operator SET active = false WHERE login = :l"), {"l": OPERATOR}
                )

        await asyncio.to_thread(quietly)
        await wait_until(pilot, lambda: isinstance(app.screen, LockedScreen), "the lock screen")
        assert reason(app) == DEACTIVATED


async def test_a_role_change_locks_the_console_saying_to_start_again(
    world, console, settle, engine, clock
) -> None:
    app = console(poll_screen_pops=True)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_until(pilot, lambda: app.live is not None and app.live.role == "operator", "first look")

        def promote() -> None:
            with UnitOfWork(engine, clock=clock) as uow:
                set_operator_role(uow, login=OPERATOR, role=Role.SUPERVISOR)

        await asyncio.to_thread(promote)
        await wait_until(pilot, lambda: isinstance(app.screen, LockedScreen), "the lock screen")
        assert reason(app) == role_changed("supervisor")


@pytest.fixture
def olga(backend, world, engine, clock) -> Iterator[str]:
    """PostgreSQL: an operator with a login role of her own in the operator group (``db grants`` made);
    the prefix of the roles."""
    prefix = f"{TEST_ROLE_PREFIX}{uuid.uuid4().hex[:6]}"
    login = f"{prefix}-olga"
    created = [login, *(group_role(r, prefix=prefix) for r in Role), system_role(prefix)]
    try:
        with UnitOfWork(engine, clock=clock) as uow:
            apply_grants(uow, prefix=prefix)
            add_operator(uow, login=login, role=Role.OPERATOR, pg_role_prefix=prefix)
        yield prefix
    finally:
        engine.dispose()
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for role in created:
                if connection.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first():
                    connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
                    connection.exec_driver_sql(f'DROP ROLE "{role}"')


def olgas_console(prefix: str, database_url: str, clock):
    """Olga's console on her own database role (the ``olga`` fixture's): its engine and the app."""
    login = f"{prefix}-olga"
    as_olga = make_engine(database_url.replace("://postgres@", f"://{login}@"))
    app = make_app(
        settings=console_settings(), engine=as_olga, operator_login=login, clock=clock, poll_screen_pops=False
    )
    return as_olga, app


@pytest.mark.parametrize("backend", ["postgresql"])  # database roles are PostgreSQL's
async def test_postgresql_refusing_a_read_locks_the_console_before_any_signal(
    olga, settle, engine, clock, database_url
) -> None:
    """Her groups revoked, the console's next read is "permission denied": the lock, not an error toast.
    (No live thread here: the refusal comes before any signal could.)"""
    login = f"{olga}-olga"
    as_olga, app = olgas_console(olga, database_url, clock)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            assert isinstance(app.screen, HomeScreen)

            def revoke() -> None:
                with UnitOfWork(engine, clock=clock) as uow:
                    set_operator_active(uow, login=login, active=False, pg_role_prefix=olga)

            await asyncio.to_thread(revoke)
            app.screen.query_one("#lookup", Input).focus()
            await pilot.press(*"ivanov")
            await wait_until(pilot, lambda: isinstance(app.screen, LockedScreen), "the lock screen")
            assert reason(app) == REFUSED
            assert not [n for n in app._notifications if n.severity == "error"]
            await typed_makes_no_query(app, pilot, as_olga)
    finally:
        as_olga.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])  # database roles are PostgreSQL's
async def test_an_operators_console_past_her_contact_budget_says_so_and_stays_open(
    olga, world, settle, engine, clock, database_url
) -> None:
    """Her role's budget of clients' contact points (``contact_handout``): a lookup within it shows the
    phones; the next one past it says why in one line, and the console stays hers (no lock, no crash)."""
    from hotline.tui.widgets.lookup_results import LookupResults

    with UnitOfWork(engine, clock=clock) as uow:
        apply_grants(uow, prefix=olga, contact_budget=2)
    as_olga, app = olgas_console(olga, database_url, clock)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press(*"ivanov")  # Ivan Ivanov and Maria Ivanova: two clients, her budget
            await settle(pilot)
            hits = app.screen.query_one(LookupResults).hits
            assert world.ivanov_id in [hit.id for hit in hits]
            assert any("+79123456789" in hit.subtitle for hit in hits)
            await pilot.press(*["backspace"] * 6)
            await pilot.press(*"495111")  # a third client's number: past it
            await settle(pilot)
            errors = [n.message for n in app._notifications if n.severity == "error"]
            assert any("past its budget of 2 clients an hour" in message for message in errors), errors
            assert isinstance(app.screen, HomeScreen)
            assert all("\n" not in message for message in errors)
    finally:
        as_olga.dispose()

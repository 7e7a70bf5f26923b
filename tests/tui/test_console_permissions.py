"""Every console command has a rule in ``tui/permissions.py``; the privileged ones (the history of
changes, from the card and the ticket; the wallboard; changing client groups) are refused for an
operator with a toast and an audit entry, and work for a supervisor. Plus the history view's snapshot at 80x24."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import select

from hotline.core.authority import PERMISSIONS, allows
from hotline.core.db import UnitOfWork
from hotline.core.models import AuditEntry
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.tui.commands import _REGISTRY
from hotline.tui.permissions import COMMAND_OPERATIONS, REFUSED_WORK, refusal_in_words
from hotline.tui.screens.audit_history import AuditHistoryScreen
from tests.tui.test_snapshots import settled

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])
ROLES = {"operator": "anna", "supervisor": "sue", "admin": "root-admin"}


def _all_commands() -> set[str]:
    import hotline.tui.app
    import hotline.tui.screens
    import hotline.tui.widgets

    for package in (hotline.tui.screens, hotline.tui.widgets):
        for module in pkgutil.iter_modules(package.__path__):
            importlib.import_module(f"{package.__name__}.{module.name}")
    return set(_REGISTRY)


def test_every_console_command_has_a_rule(backend) -> None:
    assert _all_commands() == set(COMMAND_OPERATIONS)
    assert set(COMMAND_OPERATIONS.values()) <= set(PERMISSIONS)


def test_every_operation_has_words_for_a_refusal(backend) -> None:
    """An operation added to core's table without the console's words for it fails here."""
    assert set(REFUSED_WORK) == set(PERMISSIONS)
    assert refusal_in_words("audit.read") == "Only supervisors and admins can see the history of changes."
    assert refusal_in_words("db.backup") == "Only admins can back up the database."


@pytest.fixture
def staff(world, engine, clock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login="sue", role=Role.SUPERVISOR, display_name="Sue")
        add_operator(uow, login="root-admin", role=Role.ADMIN, display_name="Admin")


PRIVILEGED = sorted(
    name
    for name, operation in COMMAND_OPERATIONS.items()
    if operation != "read" and not allows("operator", operation)
)
HISTORY = [name for name in PRIVILEGED if COMMAND_OPERATIONS[name] == "audit.read"]


def _name_the_group(app) -> None:
    from textual.widgets import Input

    app.screen.query_one("#group-name", Input).value = "Walk"


SUPERVISOR_STEPS: dict[str, list] = {
    "app.wallboard": ["app.wallboard"],
    "wallboard.refresh": ["app.wallboard", "wallboard.refresh"],
    "groups.add": ["app.client_list", "client_list.groups", "groups.add", _name_the_group, "group_form.save"],
    "group_form.save": [
        "app.client_list",
        "client_list.groups",
        "groups.add",
        _name_the_group,
        "group_form.save",
    ],
    "groups.edit": ["app.client_list", "client_list.groups", "groups.edit", "group_form.save"],
    "groups.remove": ["app.client_list", "client_list.groups", "groups.remove"],
}
"""The supervisors' commands of the wallboard and the client lists: the keys (command ids) and form
filling that reach each one from home and run it."""


def test_every_privileged_command_is_walked(backend) -> None:
    assert set(PRIVILEGED) == set(HISTORY) | set(SUPERVISOR_STEPS)


@pytest.mark.parametrize("command_id", sorted(SUPERVISOR_STEPS))
@pytest.mark.parametrize("role", sorted(ROLES))
async def test_supervisor_console_commands_by_role(
    backend, world, staff, engine, console, command_id, role
) -> None:
    _all_commands()
    operation = COMMAND_OPERATIONS[command_id]
    app = console(operator_login=ROLES[role])
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        for step in SUPERVISOR_STEPS[command_id]:
            if callable(step):
                step(app)
            else:
                await pilot.press(_REGISTRY[step].key.split(",")[0])
            await settled(pilot)
        said = [str(n.message) for n in app._notifications]
        told = refusal_in_words(operation) in said
        assert not any(operation in line for line in said), said  # the operation's name is not the operator's
    allowed = allows(role, operation)
    assert told == (not allowed)
    with UnitOfWork(engine, readonly=True) as uow:
        refused = list(
            uow.session.exec(select(AuditEntry).where(AuditEntry.action == f"refused:{operation}")).scalars()
        )
    assert bool(refused) == (not allowed)
    assert {(entry.actor, entry.via) for entry in refused} <= {(ROLES[role], "console")}


@pytest.mark.parametrize("command_id", HISTORY)
@pytest.mark.parametrize("role", sorted(ROLES))
async def test_privileged_console_commands_by_role(
    backend, world, staff, engine, console, command_id, role
) -> None:
    _all_commands()  # the registry fills as the screens' modules load (a worker may start here)
    command = _REGISTRY[command_id]
    app = console(operator_login=ROLES[role])
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        if command.scope == "card":
            app.open_client(world.ivanov_id)
        else:
            app.open_ticket(world.ticket_number)
        await settled(pilot)
        await pilot.press(command.key.split(",")[0])
        await settled(pilot)
        opened = isinstance(app.screen, AuditHistoryScreen)
        assert opened == allows(role, COMMAND_OPERATIONS[command_id])
        if not opened:
            said = [str(n.message) for n in app._notifications]
            assert "Only supervisors and admins can see the history of changes." in said, said
            assert not any("audit.read" in line or "'anna'" in line for line in said), said
    with UnitOfWork(engine, readonly=True) as uow:
        refused = list(
            uow.session.exec(select(AuditEntry).where(AuditEntry.action == "refused:audit.read")).scalars()
        )
    assert [(entry.actor, entry.via) for entry in refused] == ([] if opened else [(ROLES[role], "console")])


def test_ticket_history_at_80x24(backend, world, staff, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        pilot.app.open_ticket(world.ticket_number)
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)

    assert snap_compare(console(operator_login="sue"), terminal_size=(80, 24), run_before=run_before)


async def test_deactivated_while_the_console_is_open_taking_her_own_ticket_is_refused(
    backend, world, engine, console, clock
) -> None:
    """Deactivated while her console was open, anna pressed ``t`` on her own ticket: the change changed
    nothing, so nothing asked, and she was told "#1: assigned to anna." with no refusal in the audit
    trail. Now one error toast and one refusal, from the console."""
    from hotline.core.services.operators import set_operator_active

    app = console()
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        app.open_ticket(world.ticket_number)
        await settled(pilot)
        with UnitOfWork(engine, clock=clock) as uow:
            set_operator_active(uow, login="anna", active=False)
        await pilot.press("t")
        await settled(pilot)
        told = [(n.severity, str(n.message)) for n in app._notifications]
    assert told == [("error", "operator 'anna' is deactivated")]
    with UnitOfWork(engine, readonly=True) as uow:
        refused = list(
            uow.session.exec(select(AuditEntry).where(AuditEntry.action == "refused:ticket.write")).scalars()
        )
    assert [(entry.actor, entry.via) for entry in refused] == [("anna", "console")]


async def test_the_history_pages_to_older_entries_in_the_console(
    backend, world, staff, engine, console, monkeypatch
):
    """The history showed its newest entries and, for older ones, "older entries: hotline audit list
    --entity …", a command of another program; now ``m`` shows the next page below, in the console."""
    from textual.widgets import DataTable, Static

    import hotline.tui.screens.audit_history as history
    from hotline.core.enums import Priority
    from hotline.core.services.tickets import update_ticket

    for priority in (Priority.HIGH, Priority.LOW, Priority.URGENT):
        with UnitOfWork(engine, actor_login="anna") as uow:
            update_ticket(uow, number=world.ticket_number, expected_version=None, priority=priority)
    monkeypatch.setattr(history, "HISTORY_LIMIT", 1)
    app = console(operator_login="sue")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        app.open_ticket(world.ticket_number)
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, AuditHistoryScreen)
        first = str(screen.query_one("#history-more", Static).render())
        assert "hotline" not in first and "m" in first, first
        with UnitOfWork(engine, readonly=True) as uow:
            total = len(
                uow.session.exec(
                    select(AuditEntry).where(
                        AuditEntry.entity == "ticket", AuditEntry.entity_id == screen.entity_id
                    )
                ).all()
            )
        assert total >= 3
        for _ in range(total):
            await pilot.press("m")
            await settled(pilot)
        assert screen.query_one(DataTable).row_count == total
        last = str(screen.query_one("#history-more", Static).render())
        assert f"{total} changes" in last and "older" not in last, last


async def test_enter_on_a_change_in_the_history_shows_all_of_it(
    backend, world, staff, engine, console
) -> None:
    """A change's column ended in "…" and held at most four or six of its fields; Enter on its line shows
    every field, one a line, in a read-only view."""
    from textual.widgets import DataTable, Static

    from hotline.tui.screens.timeline_text import TimelineTextScreen

    app = console(operator_login="sue")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        app.open_ticket(world.ticket_number)
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)
        history = app.screen
        assert isinstance(history, AuditHistoryScreen)
        table = history.query_one(DataTable)
        table.move_cursor(row=table.row_count - 1)  # the ticket's creation: all its fields
        await pilot.press("enter")
        await settled(pilot)
        reader = app.screen
        assert isinstance(reader, TimelineTextScreen), app.screen_stack
        shown = str(reader.query_one("#timeline-text", Static).render())
        entry = history._entries[-1]
        fields = {**(entry.before or {}), **(entry.after or {})}
        assert len(fields) > 4
        assert all(f"{key}: " in shown for key in fields), shown
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is history


async def test_m_while_older_changes_are_read_says_so(
    backend, world, staff, engine, console, monkeypatch
) -> None:
    """``m`` clicked again while the older page was still read said "No older changes: all of them are
    shown.", which was not so; now it says they are still being read."""
    import threading

    import hotline.tui.screens.audit_history as history
    from hotline.core.enums import Priority
    from hotline.core.services import audit
    from hotline.core.services.tickets import update_ticket

    with UnitOfWork(engine, actor_login="anna") as uow:
        update_ticket(uow, number=world.ticket_number, expected_version=None, priority=Priority.HIGH)
    monkeypatch.setattr(history, "HISTORY_LIMIT", 1)
    release, calls = threading.Event(), []
    real = audit.list_audit

    def held(*args, **kwargs):
        calls.append(kwargs.get("offset", 0))
        if len(calls) > 1:
            release.wait(10)
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "list_audit", held)
    app = console(operator_login="sue")
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        app.open_ticket(world.ticket_number)
        await settled(pilot)
        await pilot.press("h")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, AuditHistoryScreen)
        assert screen._more
        await screen.run_action("more")
        await screen.run_action("more")  # a second click while the first page is read
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        release.set()
        await settled(pilot)
    assert "Still reading the older changes…" in said, said
    assert not any(line.startswith("No older changes") for line in said), said

"""Client lists (F8) and groups (ctrl+g there) in the console."""

from __future__ import annotations

import pytest
from sqlmodel import select
from textual.widgets import DataTable, Input

from hotline.core.db import UnitOfWork
from hotline.core.models import AuditEntry, ClientGroup
from hotline.core.models.enums import Role
from hotline.core.services.operators import add_operator
from hotline.tui.screens.client_card import ClientCardScreen
from hotline.tui.screens.client_list import ClientListScreen
from hotline.tui.screens.groups import GroupFormScreen, GroupsScreen
from tests.tui.conftest import wait_for_workers

SUPERVISOR = "sup"


@pytest.fixture
def supervisor(world, engine, clock) -> None:
    with UnitOfWork(engine, clock=clock) as uow:
        add_operator(uow, login=SUPERVISOR, role=Role.SUPERVISOR, display_name="Supervisor")


async def settled(pilot) -> None:
    for _ in range(4):
        await pilot.pause()
        await wait_for_workers(pilot.app)
    await pilot.pause()


async def open_groups(pilot) -> None:
    """F8, then ctrl+g: the groups screen, loaded."""
    for key in ("f8", "ctrl+g"):
        await settled(pilot)
        await pilot.press(key)
    await settled(pilot)


def rows(screen) -> list[str]:
    table = screen.query_one(DataTable)
    return [str(table.get_row_at(index)[0]) for index in range(table.row_count)]


async def test_f8_filters_pages_and_opens_a_card(world, supervisor, console) -> None:
    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f8")
        await settled(pilot)
        screen = app.screen
        assert isinstance(screen, ClientListScreen)
        assert len(rows(screen)) == 3
        screen.query_one("#filter-group", Input).value = "VIP"
        await settled(pilot)
        assert rows(screen) == ["Ivan Ivanov"]
        screen.query_one("#filter-group", Input).value = "VI"  # typed halfway: no such group, said so
        await settled(pilot)
        assert rows(screen) == [] and "no group named 'VI'" in str(
            screen.query_one("#client-list-status").render()
        )
        screen.query_one("#filter-group", Input).value = ""
        screen.query_one("#filter-tag", Input).value = "wholesale"
        await settled(pilot)
        assert rows(screen) == ["Ivan Ivanov"]
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, ClientCardScreen) and app.screen.client_id == world.ivanov_id


async def test_groups_are_added_and_changed_from_the_console(world, supervisor, console, engine) -> None:
    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_groups(pilot)
        assert isinstance(app.screen, GroupsScreen)
        assert rows(app.screen) == ["VIP"]
        await pilot.press("a")
        await settled(pilot)
        assert isinstance(app.screen, GroupFormScreen)
        app.screen.query_one("#group-name", Input).value = "Wholesale"
        app.screen.query_one("#group-colour", Input).value = "#00aa00"
        app.screen.query_one("#group-level", Input).value = "silver"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert isinstance(app.screen, GroupsScreen) and rows(app.screen) == ["VIP", "Wholesale"]
        await pilot.press("e")
        await settled(pilot)
        app.screen.query_one("#group-colour", Input).value = "#zz"  # refused by the field's pattern
        app.screen.query_one("#group-colour", Input).value = "#123"
        await pilot.press("ctrl+s")
        await settled(pilot)
    with UnitOfWork(engine, readonly=True) as uow:
        groups = {
            group.name: (group.colour, group.contract_level)
            for group in uow.session.exec(select(ClientGroup))
        }
        assert groups == {"VIP": ("#123", None), "Wholesale": ("#00aa00", "silver")}
        actions = set(uow.session.exec(select(AuditEntry.action).where(AuditEntry.actor == SUPERVISOR)))
        assert {"group.create", "group.update"} <= actions


@pytest.mark.parametrize("backend", ["sqlite"])
def test_client_list_snapshot_at_80x24(backend, world, supervisor, console, snap_compare) -> None:
    async def run_before(pilot) -> None:
        await settled(pilot)
        await pilot.press("f8")
        await settled(pilot)

    assert snap_compare(console(operator_login=SUPERVISOR), terminal_size=(80, 24), run_before=run_before)


async def test_a_refused_group_keeps_its_form_and_what_was_typed(world, supervisor, console, engine) -> None:
    """A group named like an existing one: the form closed and what was typed was lost, with only a toast
    (the write ran after the form was gone). The form stays, as typed, and says why; then Esc."""
    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f8", "ctrl+g", "a")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        form.query_one("#group-name", Input).value = "VIP"
        form.query_one("#group-level", Input).value = "gold"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form
        assert form.query_one("#group-level", Input).value == "gold"
        assert [str(n.message) for n in app._notifications] == ["a group named 'VIP' exists already"]
        await pilot.press("escape")
        await settled(pilot)
        assert isinstance(app.screen, GroupsScreen) and rows(app.screen) == ["VIP"]


async def test_enter_on_a_group_edits_it(world, supervisor, console) -> None:
    """The keys say Enter edits the selected group: the table took Enter and nothing opened."""
    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f8", "ctrl+g")
        await settled(pilot)
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, GroupFormScreen)
        assert app.screen.query_one("#group-name", Input).value == "VIP"


async def test_ctrl_d_asks_before_a_group_is_removed(world, supervisor, console, engine) -> None:
    """One stray ctrl+d removed the group at once; now it asks, No focused, and only y removes it."""
    from hotline.tui.screens.confirm import ConfirmScreen

    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_groups(pilot)
        await pilot.press("ctrl+d")
        await settled(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")  # No is focused: a habitual Enter keeps the group
        await settled(pilot)
        assert isinstance(app.screen, GroupsScreen) and rows(app.screen) == ["VIP"]
        await pilot.press("ctrl+d")
        await settled(pilot)
        await pilot.press("y")
        await settled(pilot)
        assert isinstance(app.screen, GroupsScreen) and rows(app.screen) == []
    with UnitOfWork(engine, readonly=True) as uow:
        assert list(uow.session.exec(select(ClientGroup))) == []


async def test_a_client_changed_from_its_card_shows_changed_back_on_the_list(
    world, supervisor, console, engine
) -> None:
    """F8, Enter, the client renamed on the card (or from elsewhere), Esc: the list still said the old name,
    and the cursor was back on the first client once read again."""
    from hotline.core.services.clients import ClientChanges, update_client

    app = console(operator_login=SUPERVISOR)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f8")
        await settled(pilot)
        screen = app.screen
        table = screen.query_one(DataTable)
        table.move_cursor(row=rows(screen).index("Ivan Ivanov"))
        at = table.cursor_row
        await pilot.press("enter")
        await settled(pilot)
        assert isinstance(app.screen, ClientCardScreen)
        with UnitOfWork(engine, actor_login=SUPERVISOR) as uow:  # the card's e, or another console
            update_client(
                uow, client_id=world.ivanov_id, changes=ClientChanges(name="Ivan Ivanov-Petrov"),
                default_region="RU",
            )  # fmt: skip
        await pilot.press("escape")
        await settled(pilot)
        assert app.screen is screen
        assert "Ivan Ivanov-Petrov" in rows(screen)
        assert table.cursor_row == rows(screen).index("Ivan Ivanov-Petrov") == at


async def test_a_group_level_the_configuration_names_in_another_case_is_refused(
    world, supervisor, console, engine
) -> None:
    """``Gold`` where ``[[sla]]`` says ``gold`` was saved, and matched no policy: the group's clients got
    the everyday targets. The form stays, as typed, and names the configured level."""
    from tests.tui.conftest import console_settings

    settings = console_settings().model_copy(
        update={
            "calendars": {"office": {"timezone": "Europe/Moscow", "hours": {"mon": "09:00-18:00"}}},
            "sla": [{"queue": "Support", "priority": "*", "calendar": "office", "contract": "gold",
                     "first_response": "1h", "resolution": "8h"}],
        }
    )  # fmt: skip
    settings = type(settings).model_validate(settings.model_dump())
    app = console(operator_login=SUPERVISOR, settings=settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settled(pilot)
        await pilot.press("f8", "ctrl+g", "a")
        await settled(pilot)
        form = app.screen
        assert isinstance(form, GroupFormScreen)
        form.query_one("#group-name", Input).value = "Key accounts"
        form.query_one("#group-level", Input).value = "Gold"
        await pilot.press("ctrl+s")
        await settled(pilot)
        assert app.screen is form
        assert [str(n.message) for n in app._notifications] == [
            "the configuration names the level 'gold', not 'Gold': levels match as written"
        ]
    with UnitOfWork(engine) as uow:
        assert uow.session.exec(select(ClientGroup).where(ClientGroup.name == "Key accounts")).first() is None

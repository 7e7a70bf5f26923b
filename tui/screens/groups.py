"""Client groups from the console: the list with each group in its colour; a adds, e edits (name, colour,
contract level), ctrl+d removes (its clients stay, in no group). Supervisors and admins; audited in core."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Label
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import GroupsLoaded, forward_worker_failure, readable_error
from hotline.tui.screens.confirm import ConfirmScreen
from hotline.tui.widgets.one_line_input import OneLineInput

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

register(
    Command(id="groups.add", key="a", title="groups: add", help="Create a group.", action="add_group",
            scope="groups", label="Add"),
    Command(id="groups.edit", key="e,enter", title="groups: edit", help="Change the selected group.",
            action="edit_group", scope="groups", label="Edit"),
    Command(id="groups.remove", key="ctrl+d", title="groups: remove", help="Remove the selected group (its "
            "clients stay, in no group).", action="remove_group", scope="groups", label="Remove",
            priority=True),
    Command(id="groups.close", key="escape", title="groups: close", help="Close the groups.", action="close",
            scope="groups", label="Close", in_palette=False),
    Command(id="group_form.save", key="ctrl+s", title="group: save", help="Save the group.", action="save",
            scope="group_form", label="Save", priority=True),
    Command(id="group_form.cancel", key="escape", title="group: cancel", help="Close without saving.",
            action="cancel", scope="group_form", label="Cancel", in_palette=False),
)  # fmt: skip


@dataclass(frozen=True)
class GroupEdit:
    """What the form returns: ``original`` None for a new group."""

    original: str | None
    name: str
    colour: str
    contract_level: str


class GroupsScreen(ModalScreen[None]):
    COMMAND_SCOPE = "groups"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("groups")

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.groups: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="groups-panel") as panel:
            panel.border_title = "Client groups"
            panel.border_subtitle = key_hints(self)
            table = DataTable(id="groups-table", cursor_type="row")
            table.add_columns("Group", "Colour", "Contract level", "Clients")
            yield table

    def on_mount(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="groups")
    def _load(self) -> None:
        from hotline.core.services.groups import list_groups

        with self.ctx.uow(readonly=True) as uow:
            groups = list_groups(uow)
        self.post_message(GroupsLoaded(groups))

    def on_groups_loaded(self, message: GroupsLoaded) -> None:
        self.groups = message.groups
        table = self.query_one(DataTable)
        table.clear()
        for group in self.groups:
            name = Text(printable(group.name))
            name.stylize(f"bold {group.colour}")
            level = Text(printable(group.contract_level or ""))
            table.add_row(name, Text(group.colour, style=group.colour), level, Text(str(group.clients)))

    def _selected(self) -> Any | None:
        row = self.query_one(DataTable).cursor_row
        return self.groups[row] if self.groups and 0 <= row < len(self.groups) else None

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        """Enter on a row (the table takes the key before the screen's binding)."""
        self.action_edit_group()

    def action_add_group(self) -> None:
        self.app.push_screen(GroupFormScreen(self.ctx, None), self._edited)

    def action_edit_group(self) -> None:
        if (group := self._selected()) is not None:
            self.app.push_screen(GroupFormScreen(self.ctx, group), self._edited)

    def action_remove_group(self) -> None:
        """Asked first (No focused): one stray ctrl+d removed a group at once."""
        if (group := self._selected()) is not None:
            self._ask_to_remove(group.name, group.clients)

    @work(thread=True, exclusive=True, exit_on_error=False, group="groups-write")
    def _ask_to_remove(self, name: str, clients: int) -> None:
        """Who may is asked before the question (refused and audited, not asked and then refused)."""
        with self.ctx.uow() as uow:
            uow.authorize("group.manage", entity="client_group", entity_id=name)
        self.app.call_from_thread(self._confirm_removal, name, clients)

    def _confirm_removal(self, name: str, clients: int) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._remove(name)

        stay = f" Its {clients} clients stay, in no group." if clients else ""
        question = f"Remove the group {name!r}?{stay}"
        self.app.push_screen(ConfirmScreen(question, title="Remove group", yes="Remove"), answered)

    def _edited(self, edit: GroupEdit | None) -> None:
        if edit is not None:  # the form wrote it
            self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="groups-write")
    def _remove(self, name: str) -> None:
        from hotline.core.services.groups import delete_group

        with self.ctx.uow() as uow:
            delete_group(uow, name=name)
        self.app.call_from_thread(self.notify, "Group removed.", timeout=3)
        self._load()

    def action_close(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)


class GroupFormScreen(ModalScreen[GroupEdit | None]):
    COMMAND_SCOPE = "group_form"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("group_form")

    def __init__(self, ctx: ConsoleContext, group: Any | None) -> None:
        super().__init__()
        self.ctx = ctx
        self.group = group
        self._saving = False

    def compose(self) -> ComposeResult:
        group = self.group
        with Vertical(id="group-form") as form:
            form.border_title = "Edit group" if group else "New group"
            form.border_subtitle = key_hints(self)
            with Grid(id="group-fields"):
                yield Label("Name")
                yield OneLineInput(
                    printable(group.name) if group else "",
                    id="group-name",
                    max_length=100,
                    compact=True,
                    what="a group's name",
                )
                yield Label("Colour")
                colour = group.colour if group else "#808080"
                yield OneLineInput(
                    colour,
                    id="group-colour",
                    max_length=7,
                    compact=True,
                    restrict=r"#?[0-9a-fA-F]*",
                    what="a colour (#rrggbb)",
                )
                yield Label("Contract")
                level = printable(group.contract_level or "") if group else ""
                yield OneLineInput(
                    level,
                    id="group-level",
                    max_length=50,
                    placeholder="none",
                    compact=True,
                    what="a contract level",
                )

    def action_save(self) -> None:
        def value(selector: str) -> str:
            return self.query_one(selector, Input).value.strip()

        if self._saving:
            return
        if not value("#group-name"):
            self.notify("name: a group needs a name", severity="error", markup=False)
            return
        self._saving = True
        self._save(GroupEdit(self.group.name if self.group else None, value("#group-name"),
                             value("#group-colour"), value("#group-level")))  # fmt: skip

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, edit: GroupEdit) -> None:
        """Write the group, then close the form; refused (a name taken, a bad colour), the form stays as
        typed and says why (it closed first, and what was typed was lost)."""
        from hotline.core.errors import HotlineError, PermissionDenied
        from hotline.core.services.groups import (
            configured_contract_levels,
            create_group,
            refuse_a_level_in_another_case,
            update_group,
        )

        try:
            levels = configured_contract_levels(self.ctx.settings)  # "Gold" for gold matched no policy
            refuse_a_level_in_another_case(edit.contract_level or None, levels, where="level")
            with self.ctx.uow() as uow:
                if edit.original is None:
                    create_group(
                        uow, name=edit.name, colour=edit.colour or None, contract_level=edit.contract_level
                    )
                else:
                    update_group(uow, name=edit.original, new_name=edit.name, colour=edit.colour or None,
                                 contract_level=edit.contract_level)  # fmt: skip
        except HotlineError as error:
            said = readable_error(error) if isinstance(error, PermissionDenied) else error.message
            self.app.call_from_thread(self._refused, said)
            return
        self.app.call_from_thread(self._saved, edit)

    def _refused(self, message: str) -> None:
        self._saving = False
        self.notify(message, severity="error", markup=False)

    def _saved(self, edit: GroupEdit) -> None:
        self.notify("Group saved.", timeout=3)
        self.dismiss(edit)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            self._saving = False

    def action_cancel(self) -> None:
        self.dismiss(None)

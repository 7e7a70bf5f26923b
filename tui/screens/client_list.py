"""Client lists (F8): clients filtered by group, tag, source or campaign, birthday this week or no
contact for N days; sorted, paged, each group in its colour. Enter opens the card; g manages the groups.

The filters apply as they are typed (a thread worker per change; stale pages are dropped).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Footer, Input, Static
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import ClientPageLoaded, OpenClientRequested, forward_worker_failure
from hotline.tui.widgets.one_line_input import OneLineInput

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

PAGE_SIZE = 50
SORT_CYCLE = ("name", "-last-contact", "last-contact", "-created")


def _clients(id: str, key: str, title: str, help: str, action: str, **extra: Any) -> Command:
    return Command(
        id=f"client_list.{id}", key=key, title=title, help=help, action=action, scope="client_list", **extra
    )


register(
    _clients("open", "enter", "clients: open the card", "Open the selected client's card.", "open_client",
             label="Open", in_palette=False),
    _clients("next", "ctrl+n,pagedown", "clients: next page", "Show the next page.", "page(1)", label="Next",
             priority=True),
    _clients("previous", "ctrl+b,pageup", "clients: previous page", "Show the previous page.", "page(-1)",
             label="Prev", priority=True),
    _clients("sort", "ctrl+o", "clients: next sort order", "Sort by name, last contact (newest, oldest) or "
             "creation.", "next_sort", label="Sort", priority=True),
    _clients("groups", "ctrl+g", "clients: manage groups", "Name, colour and contract level of the groups.",
             "manage_groups", label="Groups", priority=True),
    _clients("back", "escape", "clients: back", "Close the client list.", "back", label="Back",
             in_palette=False),
)  # fmt: skip


class ClientListScreen(Screen[None]):
    COMMAND_SCOPE = "client_list"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("client_list")

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.first_row = 0
        self.sort = SORT_CYCLE[0]
        self.page: Any | None = None
        self._generation = 0
        self._covered = False
        """Another screen was put over the list (a card, where the client may change): read on return."""
        self._keep_cursor = False
        """The page read again as it was (on return): the cursor stays; another page starts at its top."""

    def compose(self) -> ComposeResult:
        with Horizontal(id="client-filters"):
            yield OneLineInput(placeholder="group", id="filter-group", compact=True, what="the group filter")
            yield OneLineInput(placeholder="tag", id="filter-tag", compact=True, what="the tag filter")
            yield OneLineInput(
                placeholder="source", id="filter-source", compact=True, what="the source filter"
            )
            yield OneLineInput(
                placeholder="campaign", id="filter-campaign", compact=True, what="the campaign filter"
            )
            yield OneLineInput(
                what="the silent-days filter (a number)",
                placeholder="silent ≥ days",
                id="filter-silent",
                restrict=r"[0-9]*",
                max_length=4,
                compact=True,
            )
            yield Checkbox("birthday this week", id="filter-birthday", compact=True)
        table = DataTable(id="client-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("Name", "Group", "Owner", "Source", "Campaign", "Last contact")
        yield table
        yield Static("", id="client-list-status")
        yield Footer()

    def on_mount(self) -> None:
        self.reload()
        self.query_one("#client-table", DataTable).focus()

    def on_screen_suspend(self) -> None:
        self._covered = True

    def on_screen_resume(self) -> None:
        """Back from a card (a client renamed, regrouped…): the page as it is now, the cursor kept."""
        if self._covered:
            self._covered = False
            self._keep_cursor = True
            self.reload()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    def _filters_changed(self) -> None:
        self.first_row = 0
        self.reload()

    def filters(self) -> Any:
        from hotline.core.services.client_lists import ClientListFilter

        def text(selector: str) -> str | None:
            return self.query_one(selector, Input).value.strip() or None

        silent = text("#filter-silent")
        attributions = self.ctx.settings.attributions
        return ClientListFilter(
            group=text("#filter-group"), tag=text("#filter-tag"), source=text("#filter-source"),
            campaign=text("#filter-campaign"),
            no_contact_days=int(silent) if silent and int(silent) > 0 else None,
            birthday_this_week=self.query_one("#filter-birthday", Checkbox).value,
            known_sources=attributions.sources,
            known_campaigns=attributions.campaign_codes,
        )  # fmt: skip

    def reload(self) -> None:
        self._generation += 1
        self._load(self._generation, self.filters(), self.sort, self.first_row)

    @work(thread=True, exclusive=True, exit_on_error=False, group="client-list")
    def _load(self, generation: int, filters: Any, sort: str, offset: int) -> None:
        from hotline.core.errors import NotFound
        from hotline.core.services.client_lists import ClientPage, list_clients

        today = self.ctx.clock.now().astimezone(self.ctx.settings.zone).date()
        with self.ctx.uow(readonly=True) as uow:
            try:
                page = list_clients(
                    uow, filters=filters, today=today, sort=sort, limit=PAGE_SIZE, offset=offset
                )
            except NotFound as error:  # a group typed halfway: an empty list that says why
                page = ClientPage([], offset, PAGE_SIZE, False, {"problem": error.message}, sort)
        self.post_message(ClientPageLoaded(generation, page))

    def on_client_page_loaded(self, message: ClientPageLoaded) -> None:
        if message.generation != self._generation:
            return
        self.page = page = message.page
        table = self.query_one("#client-table", DataTable)
        row = table.cursor_row
        selected = (
            str(table.coordinate_to_cell_key(table.cursor_coordinate)[0].value) if table.row_count else None
        )
        table.clear()
        zone = self.ctx.settings.zone
        for line in page.lines:
            group = Text(printable(line.group or ""))
            if line.group_colour:
                group.stylize(f"bold {line.group_colour}")
            contact = (
                line.last_contact.astimezone(zone).strftime("%Y-%m-%d") if line.last_contact else "never"
            )
            table.add_row(
                Text(printable(line.name)), group, Text(printable(line.owner or "")),
                Text(printable(line.source or "")), Text(printable(line.campaign or "")), Text(contact),
                key=str(line.id),
            )  # fmt: skip
        keep, self._keep_cursor = self._keep_cursor, False
        if keep and page.lines:  # read again (back from a card): the cursor stays on its client, else its row
            keys = [str(line.id) for line in page.lines]
            table.move_cursor(row=keys.index(selected) if selected in keys else min(row, len(keys) - 1))
        problem = page.filters.get("problem") if isinstance(page.filters, dict) else None
        shown = f"{page.offset + 1}–{page.offset + len(page.lines)}" if page.lines else "no clients"
        status = Text(f"{shown}{' · more' if page.has_more else ''} · sorted by {self.sort}", style="dim")
        if problem:
            status = Text(printable(str(problem)), style="bold red")
        self.query_one("#client-list-status", Static).update(status)

    def action_page(self, step: int) -> None:
        if self.page is None or (step > 0 and not self.page.has_more) or (step < 0 and self.first_row == 0):
            return
        self.first_row = max(self.first_row + step * PAGE_SIZE, 0)
        self.reload()

    def action_next_sort(self) -> None:
        self.sort = SORT_CYCLE[(SORT_CYCLE.index(self.sort) + 1) % len(SORT_CYCLE)]
        self.first_row = 0
        self.reload()

    def action_open_client(self) -> None:
        table = self.query_one("#client-table", DataTable)
        if self.page and self.page.lines and 0 <= table.cursor_row < len(self.page.lines):
            self.post_message(OpenClientRequested(self.page.lines[table.cursor_row].id))

    @on(DataTable.RowSelected)
    def _row_selected(self) -> None:
        self.action_open_client()

    def action_manage_groups(self) -> None:
        from hotline.tui.screens.groups import GroupsScreen

        self.app.push_screen(GroupsScreen(self.ctx), lambda _: self.reload())

    def action_back(self) -> None:
        self.dismiss(None)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

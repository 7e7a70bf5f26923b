"""The ticket queues: tickets by queue under a view (all, mine, unassigned, breaching SLA) and a status
filter, next SLA deadline first, with the due time as a countdown coloured by urgency.

Keys take a ticket (assign it to me), assign it (a modal of operators) or open it. The list is read in
a thread worker, ``PAGE`` tickets at first and ``PAGE`` more each time the cursor reaches the last one shown
(the count says "500 of 3000" until all are); a timer redraws the countdowns every few seconds (no
database work). The list is read
again when a ticket is written anywhere (``TicketsChanged``, pushed by the console's live thread), at
most twice a second however many are written, keeping the selected ticket and the scroll position; a
screen under another one reads again when it comes back on top. Nothing polls.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static, Tabs
from textual.worker import Worker

from hotline.core.enums import TicketStatus
from hotline.core.services.tickets import QueueView
from hotline.tui.coalesce import Coalescer, seen
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import OpenTicketRequested, TicketsChanged, forward_worker_failure
from hotline.tui.widgets.key_footer import KeyFooter
from hotline.tui.widgets.queue_tabs import QueueTabs
from hotline.tui.widgets.ticket_changes import (
    TicketChange,
    TicketChangeConflicted,
    TicketChanged,
    apply_change,
    conflict_text,
)
from hotline.tui.widgets.ticket_table import TicketTable

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

COUNTDOWN_SECONDS = 5.0
PAGE = 500
"""Tickets read at first, and added each time the cursor reaches the last one shown."""
STATUS_CYCLE: tuple[str | None, ...] = (None, *(status.value for status in TicketStatus))
"""The status filter, in the order ``s`` steps through it (None: every open status)."""


def _queues(id: str, key: str, title: str, help: str, action: str, **extra: Any) -> Command:
    return Command(id=f"queues.{id}", key=key, title=title, help=help, action=action, scope="queues", **extra)


register(
    _queues(
        "open", "enter", "queues: open the ticket", "Open the selected ticket.", "open_ticket", label="Open"
    ),
    _queues(
        "take",
        "t",
        "queues: take the ticket",
        "Assign the selected ticket to me.",
        "take_ticket",
        label="Take",
    ),
    _queues(
        "assign",
        "a",
        "queues: assign the ticket",
        "Assign the selected ticket to an operator (or to nobody).",
        "assign_ticket",
        label="Assign",
    ),
    _queues(
        "all",
        "1",
        "queues: all tickets",
        "Show every ticket of the queue.",
        "set_view('all')",
        label="All",
        show=False,
    ),
    _queues(
        "mine",
        "2",
        "queues: my tickets",
        "Show the tickets assigned to me.",
        "set_view('mine')",
        label="Mine",
        show=False,
    ),
    _queues(
        "unassigned",
        "3",
        "queues: unassigned tickets",
        "Show the tickets nobody has taken.",
        "set_view('unassigned')",
        label="Unassigned",
        show=False,
    ),
    _queues(
        "breaching",
        "4",
        "queues: breaching SLA",
        "Show the tickets past their SLA due time.",
        "set_view('breaching')",
        label="Breaching",
        show=False,
    ),
    _queues(
        "status",
        "s",
        "queues: next status filter",
        "Step the status filter: open ones, new, open, pending, resolved, closed.",
        "next_status",
        label="Status",
    ),
    _queues(
        "next_queue",
        "right_square_bracket",
        "queues: next queue",
        "Show the next queue's tickets.",
        "next_queue",
        label="Queue",
    ),
    _queues(
        "previous_queue",
        "left_square_bracket",
        "queues: previous queue",
        "Show the previous queue's tickets.",
        "previous_queue",
        label="Queue",
        show=False,
    ),
    _queues(
        "roster",
        "w",
        "queues: who is on shift (roster)",
        "The roster: every operator's queues, today's shifts and who is on shift now; contracts ending soon.",
        "open_roster",
        label="Roster",
        show=False,
    ),
    _queues("reload", "f5", "queues: reload", "Read the queues again.", "reload", label="Reload"),
    _queues("back", "escape", "queues: back", "Close the queues.", "back", label="Back"),
)


@dataclass
class QueuesLoaded(Message):
    """The queue counts and the current listing were read (``generation``: which request it answers)."""

    generation: int
    counts: list[Any]
    listing: Any


@dataclass
class AssigneesLoaded(Message):
    """The operators ticket ``number`` can be assigned to were read (for the assign picker)."""

    number: int
    version: int
    current: str | None
    choices: list[tuple[str, str]]


class QueuesScreen(Screen[None]):
    """Tickets by queue for the console's operator."""

    COMMAND_SCOPE = "queues"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("queues")

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.view = QueueView.ALL
        self.status: str | None = None
        self.queue: str | None = None
        self.loaded = False
        self.limit = PAGE
        """How many tickets are read (grows by ``PAGE`` as the cursor reaches the last one shown)."""
        self._total = 0
        self._generation = 0
        self._saving = False
        self.live_reloads = Coalescer(self, self.reload)
        """Reloads asked by pushed changes, a burst folded into a few."""

    def compose(self) -> ComposeResult:
        yield QueueTabs(id="queue-tabs")
        with Horizontal(id="queues-filter-bar"):
            yield Static(id="queues-filter")
            yield Static(id="queues-total")
        yield TicketTable(id="queue-table")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one(TicketTable).focus()
        self._show_filter(total=None, shown=0)
        self.set_interval(COUNTDOWN_SECONDS, self._tick)
        self.reload()

    def on_screen_resume(self) -> None:
        if self.loaded:
            self.reload()

    def on_tickets_changed(self, message: TicketsChanged) -> None:
        """A ticket was written somewhere: read the list again soon (under another screen: on resume).
        Also before the first listing arrives: it may have been read before that write."""
        if seen(self):
            self.live_reloads.request()

    def reload(self) -> None:
        """Read the counts and the listing again for the current queue, view and status."""
        self._generation += 1
        self._load(self._generation, self.queue, self.view, self.status, self.limit)

    def _refilter(self) -> None:
        """Another queue, view or status: its first page."""
        self.limit = PAGE
        self.reload()

    @work(thread=True, exclusive=True, exit_on_error=False, group="queues-load")
    def _load(
        self, generation: int, queue: str | None, view: QueueView, status: str | None, limit: int
    ) -> None:
        from hotline.core.services.tickets import queue_counts, queue_tickets

        now = self.ctx.clock.now()
        login = self.ctx.operator_login
        with self.ctx.uow(readonly=True) as uow:
            counts = queue_counts(uow, operator_login=login, now=now)
            if queue is not None and queue not in {c.queue for c in counts}:
                queue = None
            listing = queue_tickets(
                uow,
                operator_login=login,
                now=now,
                queue=queue,
                view=view,
                status=TicketStatus(status) if status else None,
                limit=limit,
            )
        self.post_message(QueuesLoaded(generation, counts, listing))

    async def on_queues_loaded(self, message: QueuesLoaded) -> None:
        if message.generation != self._generation:
            return
        known = {count.queue for count in message.counts}
        if self.queue is not None and self.queue not in known:
            self.queue = None
        await self.query_one(QueueTabs).show(message.counts, self.view, self.queue)
        self.loaded = True
        self.query_one(TicketTable).show(
            message.listing.rows, self.ctx.clock.now(), show_queue=self.queue is None
        )
        self._total = message.listing.total
        self._show_filter(total=message.listing.total, shown=len(message.listing.rows))
        self.refresh_bindings()  # open / take / assign depend on a row being there

    def _show_filter(self, *, total: int | None, shown: int) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for key, view in zip("1234", QueueView, strict=True):
            style = "reverse bold" if view is self.view else "dim"
            text.append(f" {key} {view.value} ", style=style)
            text.append(" ")
        text.append(" s status: ", style="dim")
        text.append(self.status or "open ones", style="bold")
        self.query_one("#queues-filter", Static).update(text)
        if total is None:
            counted = ""
        elif shown < total:
            counted = f"{shown} of {total}"
        else:
            counted = f"{total} ticket" if total == 1 else f"{total} tickets"
        self.query_one("#queues-total", Static).update(Text(counted, style="dim", no_wrap=True))

    def _tick(self) -> None:
        self.query_one(TicketTable).tick(self.ctx.clock.now())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event) and event.worker.group == "queues-save":
            self._saving = False

    @on(Tabs.TabActivated, "#queue-tabs")
    def _queue_chosen(self, event: Tabs.TabActivated) -> None:
        event.stop()
        chosen = self.query_one(QueueTabs).queue_of(event.tab.id if event.tab else None)
        if self.loaded and chosen != self.queue:
            self.queue = chosen
            self._refilter()

    @on(DataTable.RowHighlighted, "#queue-table")
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        """The cursor on the last ticket shown, more not shown: read the next page too."""
        shown = event.data_table.row_count
        if shown < self._total and shown >= self.limit and event.cursor_row >= shown - 1:
            self.limit += PAGE
            self.reload()

    @on(DataTable.RowSelected, "#queue-table")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_ticket()

    # -- commands ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in {"open_ticket", "take_ticket", "assign_ticket"}:
            return None if self.query_one(TicketTable).selected_row() is None else True
        return True

    def action_set_view(self, view: str) -> None:
        self.view = QueueView(view)
        self._show_filter(total=None, shown=0)
        self._refilter()

    def action_next_status(self) -> None:
        self.status = STATUS_CYCLE[(STATUS_CYCLE.index(self.status) + 1) % len(STATUS_CYCLE)]
        self._show_filter(total=None, shown=0)
        self._refilter()

    def action_reload(self) -> None:
        self.reload()

    def action_next_queue(self) -> None:
        self.query_one(QueueTabs).action_next_tab()

    def action_previous_queue(self) -> None:
        self.query_one(QueueTabs).action_previous_tab()

    def action_open_ticket(self) -> None:
        row = self.query_one(TicketTable).selected_row()
        if row is not None:
            self.post_message(OpenTicketRequested(row.number))

    def action_take_ticket(self) -> None:
        row = self.query_one(TicketTable).selected_row()
        if row is not None:
            self._change(row.number, row.version, TicketChange("take", self.ctx.operator_login))

    def action_assign_ticket(self) -> None:
        row = self.query_one(TicketTable).selected_row()
        if row is not None:
            self._pick_assignee(row.number, row.version, row.assignee_login)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queues-pick")
    def _pick_assignee(self, number: int, version: int, current: str | None) -> None:
        from hotline.core.services.operators import operator_choices

        with self.ctx.uow(readonly=True) as uow:
            choices = [(login, f"{name} ({login})") for login, name in operator_choices(uow)]
        self.post_message(AssigneesLoaded(number, version, current, choices))

    def on_assignees_loaded(self, message: AssigneesLoaded) -> None:
        from hotline.tui.screens.ticket_edit import ChoiceScreen

        number, version, current = message.number, message.version, message.current
        choices = message.choices

        def chosen(login: str | None) -> None:
            if login is not None and login != (current or ""):
                self._change(number, version, TicketChange("assignee", login))

        self.app.push_screen(
            ChoiceScreen(f"Assign #{number} to", [*choices, ("", "nobody")], current=current or ""), chosen
        )

    def _change(self, number: int, version: int, change: TicketChange) -> None:
        """Save ``change``; asked while another change is saved (a clicked key does not wait as typed ones
        do) it says so, as the ticket screen does: the change is not made."""
        from hotline.tui.screens.ticket import NOT_MADE

        if self._saving:
            not_made = NOT_MADE.get(change.what, "it was not changed").removeprefix("it ")
            self.notify(
                f"Still saving the last change, so #{number} {not_made}; try again in a moment.",
                severity="warning",
                markup=False,
            )
            return
        self._saving = True
        self._save(number, version, change)

    @work(thread=True, exclusive=True, exit_on_error=False, group="queues-save")
    def _save(self, number: int, version: int, change: TicketChange) -> None:
        self.post_message(apply_change(self.ctx, number=number, expected_version=version, change=change))

    def on_ticket_changed(self, message: TicketChanged) -> None:
        self._saving = False
        self.notify(f"#{message.number}: {message.change.describe()}.", markup=False, timeout=3)
        self.reload()

    def on_ticket_change_conflicted(self, message: TicketChangeConflicted) -> None:
        self._saving = False
        self.notify(
            f"{conflict_text(message.number)} The list was reloaded: check it and try again.",
            title="Changed by someone else",
            severity="warning",
            markup=False,
            timeout=8,
        )
        self.reload()

    def action_open_roster(self) -> None:
        from hotline.tui.screens.roster import RosterScreen

        self.app.push_screen(RosterScreen(self.ctx))

    def action_back(self) -> None:
        self.dismiss()

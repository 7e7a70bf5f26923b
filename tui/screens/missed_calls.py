"""Missed calls: screen pops no console showed while the caller was on the line (the console was closed,
or the pop was older than the configured age), newest first.

``Enter`` opens the caller's card (an unknown number: the new-client form with it), ``d`` marks the call
done (called back) and takes it off the list. The newest ``PAGE`` at first; when there are more the title
says so, and the cursor nearing the last one reads the next ``PAGE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import NewClientRequested, OpenClientRequested, forward_worker_failure

if TYPE_CHECKING:
    from hotline.core.services.screen_pop import MissedCall
    from hotline.tui.context import ConsoleContext

PAGE = 200
"""Missed calls read at first, and added each time the cursor nears the last one shown."""

register(
    Command(
        id="missed_calls.open",
        key="enter",
        title="missed call: open the caller",
        help="Open the caller's card (an unknown number: the new-client form).",
        action="open_caller",
        scope="missed_calls",
        label="Open",
    ),
    Command(
        id="missed_calls.done",
        key="d",
        title="missed call: done",
        help="Mark the selected missed call done (called back): it leaves the list.",
        action="mark_done",
        scope="missed_calls",
        label="Done",
    ),
    Command(
        id="missed_calls.back",
        key="escape",
        title="missed calls: back",
        help="Close the list.",
        action="back",
        scope="missed_calls",
        label="Back",
    ),
)


@dataclass
class MissedCallsLoaded(Message):
    """The operator's missed calls were read."""

    calls: list[MissedCall]
    more: bool = False
    """Older missed calls than those read exist."""


class MissedCallsScreen(Screen[None]):
    """The operator's missed calls."""

    COMMAND_SCOPE = "missed_calls"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("missed_calls")

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.calls: list[MissedCall] = []
        self.limit = PAGE
        """How many are read (grows by ``PAGE`` as the cursor nears the last one shown)."""
        self.more = False

    def compose(self) -> ComposeResult:
        yield Static("Missed calls", id="missed-title", markup=False)
        yield DataTable(id="missed-table", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("When", 12), ("Number", 20), ("Caller", None)):
            table.add_column(label, width=width)
        table.focus()
        self.reload()

    def on_screen_resume(self) -> None:
        if self.is_mounted:
            self.reload()

    def reload(self) -> None:
        self._load(self.limit)

    @work(thread=True, exclusive=True, exit_on_error=False, group="missed-calls")
    def _load(self, limit: int) -> None:
        from hotline.core.services.screen_pop import missed_calls

        with self.ctx.uow(readonly=True) as uow:
            calls = missed_calls(
                uow,
                operator_login=self.ctx.operator_login,
                max_age_seconds=self.ctx.settings.screen_pop_max_age_seconds,
                default_region=self.ctx.settings.default_region,
                limit=limit + 1,
            )
        self.post_message(MissedCallsLoaded(calls[:limit], more=len(calls) > limit))

    def on_missed_calls_loaded(self, message: MissedCallsLoaded) -> None:
        self.calls = message.calls
        self.more = message.more
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        zone = self.ctx.settings.zone
        for call in self.calls:
            table.add_row(
                Text(call.requested_at.astimezone(zone).strftime("%d.%m %H:%M")),
                Text(printable(call.number)),
                Text(printable(call.client_name)) if call.client_id else Text("unknown number", style="dim"),
                key=str(call.pop_id),
            )
        if self.calls:
            table.move_cursor(row=min(cursor, len(self.calls) - 1))
        count = len(self.calls)
        if self.more:
            title = f"Missed calls (the newest {count}; older ones below: ↓ at the last reads them)"
        else:
            title = f"Missed calls ({count})" if count else "Missed calls: none"
        self.query_one("#missed-title", Static).update(title)

    @on(DataTable.RowHighlighted)
    def _near_the_end(self, event: DataTable.RowHighlighted) -> None:
        """The cursor near the last call shown, older ones not read yet: read the next ones too."""
        if self.more and event.cursor_row >= len(self.calls) - 5 and self.limit <= len(self.calls):
            self.limit += PAGE
            self.reload()

    def _selected(self) -> MissedCall | None:
        row = self.query_one(DataTable).cursor_row
        return self.calls[row] if self.calls and 0 <= row < len(self.calls) else None

    @on(DataTable.RowSelected)
    def _row_chosen(self) -> None:
        self.action_open_caller()

    def action_open_caller(self) -> None:
        call = self._selected()
        if call is None:
            return
        if call.client_id is None:
            self.post_message(NewClientRequested(call.number, caller=True))
        else:
            self.post_message(OpenClientRequested(call.client_id))

    def action_mark_done(self) -> None:
        call = self._selected()
        if call is not None:
            self._dismiss_call(call.pop_id)

    @work(thread=True, exit_on_error=False, group="missed-call-done")
    def _dismiss_call(self, pop_id: int) -> None:
        from hotline.core.services.screen_pop import dismiss_missed_call

        with self.ctx.uow() as uow:
            dismiss_missed_call(uow, pop_id=pop_id)
        self.app.call_from_thread(self.reload)

    def action_back(self) -> None:
        self.dismiss()

    def on_worker_state_changed(self, event: Worker[Any].StateChanged) -> None:
        forward_worker_failure(self, event)

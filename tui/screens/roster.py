"""The roster, for supervisors: every operator with their queues, today's shifts, an exception (vacation,
sick day, swap) and whether they are on shift now — who routing can give tickets to — and, below,
the contracts ending soon. Read in a thread worker, again every minute and on F5."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.coalesce import seen
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import forward_worker_failure

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

RELOAD_SECONDS = 60.0

register(
    Command(
        id="roster.reload",
        key="f5",
        title="roster: reload",
        help="Read the roster again.",
        action="reload",
        scope="roster",
        label="Reload",
    ),
    Command(
        id="roster.back",
        key="escape",
        title="roster: back",
        help="Close the roster.",
        action="back",
        scope="roster",
        label="Back",
    ),
)


@dataclass
class RosterLoaded(Message):
    """The roster and the contracts ending soon were read."""

    lines: list[Any]
    contracts: list[Any]
    warn_days: int


class RosterScreen(Screen[None]):
    """Who works which queue and who is on shift now."""

    COMMAND_SCOPE = "roster"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("roster")

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.lines: list[Any] = []
        self._missed = False
        """A minute's re-read came while another screen was over the roster: read on return."""
        """The operators shown, in order (the cursor stays on its operator when read again)."""

    def compose(self) -> ComposeResult:
        yield Static(Text("Roster", style="bold"), id="roster-title")
        yield DataTable(id="roster-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="roster-contracts")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table: DataTable[Text] = self.query_one("#roster-table", DataTable)
        table.add_columns("on", "login", "name", "queues", "today", "exception")
        table.focus()
        self.set_interval(RELOAD_SECONDS, self._every_minute)
        self.reload()

    def _every_minute(self) -> None:
        """Read again while seen; under another screen nothing is read (it is on return)."""
        if seen(self):
            self.reload()
        else:
            self._missed = True

    def on_screen_resume(self) -> None:
        if self._missed:
            self._missed = False
            self.reload()

    def reload(self) -> None:
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="roster")
    def _read(self) -> None:
        from hotline.core.services.contracts import contracts_ending
        from hotline.core.services.shifts import roster

        now = self.ctx.clock.now()
        warn_days = self.ctx.settings.contract_warning_days
        with self.ctx.uow(readonly=True) as uow:
            lines = roster(uow, at=now)
            today = now.astimezone(self.ctx.settings.zone).date()
            ending = contracts_ending(uow, day=today, within_days=warn_days) if warn_days else []
        self.post_message(RosterLoaded(lines, ending, warn_days))

    def on_roster_loaded(self, message: RosterLoaded) -> None:
        message.stop()
        table: DataTable[Text] = self.query_one("#roster-table", DataTable)
        row = table.cursor_row
        selected = self.lines[row].login if 0 <= row < len(self.lines) else None
        table.clear()
        on_shift = 0
        for line in message.lines:
            on_shift += line.on_shift
            table.add_row(
                Text("●", style="green") if line.on_shift else Text("·", style="dim"),
                Text(printable(line.login)),
                Text(printable(line.name)),
                Text(printable(", ".join(line.queues)) or "—"),
                Text(", ".join(line.today) or "—"),
                Text(printable(line.exception), style="yellow" if line.exception else ""),
            )
        self.lines = message.lines
        logins = [line.login for line in message.lines]
        if message.lines:  # the minutely re-read left the cursor on the first operator
            table.move_cursor(row=logins.index(selected) if selected in logins else min(row, len(logins) - 1))
        title = f"Roster · {on_shift} of {len(message.lines)} on shift at "
        title += self.ctx.clock.now().astimezone(self.ctx.settings.zone).strftime("%H:%M")
        self.query_one("#roster-title", Static).update(Text(title, style="bold"))
        text = Text()
        if message.contracts:
            text.append(f"Contracts ending within {message.warn_days} days:\n", style="bold yellow")
            for view in message.contracts:
                text.append(
                    f"  {view.ends_on.isoformat()}  {printable(view.level)}  {printable(view.client)}\n"
                )
        self.query_one("#roster-contracts", Static).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss()

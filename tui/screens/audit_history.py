"""The history of changes of one client or one ticket, from the audit trail (supervisors and admins)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import AuditHistoryLoaded, forward_worker_failure

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

HISTORY_LIMIT = 200

register(
    Command(
        id="history.close",
        key="escape,q",
        title="history: close",
        help="Close the history.",
        action="dismiss",
        scope="history",
        label="Close",
        in_palette=False,
    ),
    Command(
        id="history.more",
        key="m",
        title="history: older changes",
        help="Show the next page of older changes below those shown.",
        action="more",
        scope="history",
        label="Older",
    ),
)


class AuditHistoryScreen(ModalScreen[None]):
    """Who changed ``entity`` ``entity_id``, when, from where, and what changed; newest first."""

    COMMAND_SCOPE = "history"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("history")

    def __init__(self, ctx: ConsoleContext, *, entity: str, entity_id: str, title: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.entity = entity
        self.entity_id = entity_id
        self._close_on_resume = False
        """The history was refused or failed while another screen (a ringing caller's card) was over it."""
        self._shown = 0
        self._entries: list[Any] = []
        self._more = False
        """Older entries than those shown exist (``m`` reads the next page)."""
        self._reading = False
        self.title_text = title

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box") as box:
            box.border_title = Text(printable(self.title_text))  # a client's name: never markup
            box.border_subtitle = "Esc to close"
            yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="history-more")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (("When", 11), ("Who", 10), ("What", 16), ("Where", 8), ("Change", None)):
            table.add_column(label, width=width)
        table.focus()
        self._load(0)

    def action_more(self) -> None:
        if self._reading:
            self.notify("Still reading the older changes…", markup=False, timeout=3)
            return
        if not self._more:
            self.notify("No older changes: all of them are shown.", markup=False, timeout=3)
            return
        self._reading = True  # one page at a time: an m clicked meanwhile is told so
        self._load(self._shown)

    @work(thread=True, exclusive=True, exit_on_error=False, group="history")
    def _load(self, offset: int) -> None:
        from hotline.core.services.audit import list_audit

        with self.ctx.uow(readonly=True) as uow:
            page = list_audit(
                uow, entity=self.entity, entity_id=self.entity_id, limit=HISTORY_LIMIT, offset=offset
            )
        self.post_message(AuditHistoryLoaded(page.entries, page.more))

    def on_audit_history_loaded(self, message: AuditHistoryLoaded) -> None:
        from hotline.core.services.audit import describe_change

        table = self.query_one(DataTable)
        zone = self.ctx.settings.zone
        for entry in message.entries:
            table.add_row(
                Text(entry.at.astimezone(zone).strftime("%d.%m %H:%M")),
                Text(printable(entry.actor), no_wrap=True, overflow="ellipsis"),
                Text(printable(entry.action), no_wrap=True, overflow="ellipsis"),
                Text(printable((entry.via or "").split(":")[0]), no_wrap=True),
                Text(printable(describe_change(entry)), no_wrap=True, overflow="ellipsis"),
            )
        self._reading = False
        self._entries.extend(message.entries)
        self._shown += len(message.entries)
        self._more = message.more
        count = f"{self._shown} change{'s' if self._shown != 1 else ''}"
        said = f"the newest {count} shown; m for older ones" if message.more else count
        self.query_one("#history-more", Static).update(Text(said, style="dim"))

    @on(DataTable.RowSelected, "#history-table")
    def _read_change(self, event: DataTable.RowSelected) -> None:
        """The selected entry in full (the table cuts its change to a few fields on one line)."""
        from hotline.core.services.audit import change_in_full
        from hotline.tui.screens.timeline_text import TimelineTextScreen

        if not 0 <= event.cursor_row < len(self._entries):
            return
        entry = self._entries[event.cursor_row]
        when = entry.at.astimezone(self.ctx.settings.zone).strftime("%d.%m.%y %H:%M")
        about = f"{entry.action} by {entry.actor}, {when}" + (f", via {entry.via}" if entry.via else "")
        self.app.push_screen(TimelineTextScreen(about, change_in_full(entry)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            self._close()

    def _close(self) -> None:
        """Close this screen, now if it is on top, else once it is back on top: ``dismiss`` pops the top
        screen, whichever it is (a caller's card that rang while the history was read closed instead,
        its call timer with it, and the refused history stayed)."""
        if self.app.screen is self:  # not ``is_current``: also true under a screen that lets it show
            self.dismiss()
        else:
            self._close_on_resume = True

    def on_screen_resume(self) -> None:
        if self._close_on_resume:
            self._close_on_resume = False
            self.dismiss()

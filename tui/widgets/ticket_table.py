"""The queue screen's ticket list: one row per ticket, the SLA countdown refreshed in place.

The subject column takes whatever width the others leave, so the table fits an 80-column terminal and
uses a wider one; the queue column shows only when tickets of several queues are listed.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import events
from textual.widgets import DataTable

from hotline.core.enums import Priority
from hotline.core.services.tickets import TicketSummary
from hotline.core.text import printable
from hotline.tui.widgets.sla_countdown import countdown

PRIORITY_STYLES = {
    Priority.URGENT: "bold red",
    Priority.HIGH: "yellow",
    Priority.NORMAL: "",
    Priority.LOW: "dim",
}
FIXED_COLUMNS = (("#", "number", 5), ("Due", "due", 12), ("Pri", "priority", 6), ("Status", "status", 8))
TRAILING_COLUMNS = (("Assignee", "assignee", 9), ("Queue", "queue", 10))
MIN_SUBJECT = 14


class TicketTable(DataTable[Text]):
    """Tickets keyed by number; ``tick(now)`` redraws only the countdown cells."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_shown: dict[int, TicketSummary] = {}
        self.show_queue = True
        self._now: datetime | None = None
        self._layout: tuple[int, bool] | None = None

    def _columns(self) -> list[tuple[str, str, int]]:
        trailing = [c for c in TRAILING_COLUMNS if self.show_queue or c[1] != "queue"]
        used = sum(width + 2 * self.cell_padding for _, _, width in (*FIXED_COLUMNS, *trailing))
        subject = max(MIN_SUBJECT, self.size.width - used - 2 * self.cell_padding - 1)
        return [*FIXED_COLUMNS, ("Subject", "subject", subject), *trailing]

    def _ensure_columns(self) -> None:
        layout = (self.size.width, self.show_queue)
        if layout != self._layout:
            self._layout = layout
            self.clear(columns=True)
            for label, key, width in self._columns():
                self.add_column(label, key=key, width=width)

    def on_resize(self, event: events.Resize) -> None:
        if self._now is not None and (event.size.width, self.show_queue) != self._layout:
            self.show(list(self.rows_shown.values()), self._now, show_queue=self.show_queue)

    def show(self, rows: list[TicketSummary], now: datetime, *, show_queue: bool = True) -> None:
        """Replace the rows, keeping the cursor on the same ticket when it is still listed (on the same
        line of the screen), else on the same row; the rest of the view scrolls around it."""
        current = self.selected_row() if self.columns else None
        old_row, old_top = self.cursor_row, round(self.scroll_y)
        self._now = now
        self.show_queue = show_queue
        self._ensure_columns()
        self.clear()
        self.rows_shown = {row.number: row for row in rows}
        for row in rows:
            cells = [
                Text(f"#{row.number}", style="bold"),
                countdown(row.due_at, row.clock_started_at, now, paused=row.paused),
                Text(row.priority, style=PRIORITY_STYLES.get(row.priority, "")),
                Text(row.status),
                Text(printable(row.subject), no_wrap=True, overflow="ellipsis"),
                Text(printable(row.assignee_login) or "—", style="" if row.assignee_login else "dim"),
            ]
            if show_queue:
                cells.append(Text(printable(row.queue), no_wrap=True, overflow="ellipsis"))
            self.add_row(*cells, key=str(row.number))
        if current is None or not rows:
            return
        if current.number in self.rows_shown:
            row_index = self.get_row_index(str(current.number))
        else:
            row_index = min(old_row, len(rows) - 1)
        self.move_cursor(row=row_index, scroll=False)
        offset = old_row - old_top  # one line per row: the cursor's line on screen
        top = max(0, row_index - offset) if 0 <= offset < self.size.height else old_top
        self.call_after_refresh(self.scroll_to, y=top, animate=False)

    def tick(self, now: datetime) -> None:
        """Redraw the countdowns for ``now`` (no database work)."""
        self._now = now
        for number, row in self.rows_shown.items():
            self.update_cell(
                str(number), "due", countdown(row.due_at, row.clock_started_at, now, paused=row.paused)
            )

    def selected_row(self) -> TicketSummary | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self.rows_shown.get(int(str(row_key.value)))

"""The queue screen's ticket list: one row per ticket, the SLA countdown refreshed in place."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import DataTable

from hotline.core.services.ticket_views import TicketRow
from hotline.core.text import printable
from hotline.tui.widgets.sla_countdown import countdown

PRIORITY_STYLES = {"urgent": "bold red", "high": "yellow", "normal": "", "low": "dim"}


class TicketTable(DataTable[Text]):
    """Tickets keyed by number; ``tick(now)`` redraws only the countdown cells."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.rows_shown: dict[int, TicketRow] = {}

    def on_mount(self) -> None:
        for label, key, width in (
            ("#", "number", 6),
            ("Due", "due", 11),
            ("Priority", "priority", 8),
            ("Status", "status", 8),
            ("Assignee", "assignee", 10),
            ("Queue", "queue", 10),
            ("Subject", "subject", None),
        ):
            self.add_column(label, key=key, width=width)

    def show(self, rows: list[TicketRow], now: datetime) -> None:
        """Replace the rows, keeping the cursor on the same ticket when it is still listed."""
        current = self.selected_row()
        self.clear()
        self.rows_shown = {row.number: row for row in rows}
        for row in rows:
            self.add_row(
                Text(f"#{row.number}", style="bold"),
                countdown(row.due_at, row.clock_started_at, now, paused=row.paused),
                Text(row.priority, style=PRIORITY_STYLES.get(row.priority, "")),
                Text(row.status),
                Text(printable(row.assignee_login) or "—", style="" if row.assignee_login else "dim"),
                Text(printable(row.queue), no_wrap=True, overflow="ellipsis"),
                Text(printable(row.subject), no_wrap=True, overflow="ellipsis"),
                key=str(row.number),
            )
        if current is not None and current.number in self.rows_shown:
            self.move_cursor(row=self.get_row_index(str(current.number)))

    def tick(self, now: datetime) -> None:
        """Redraw the countdowns for ``now`` (no database work)."""
        for number, row in self.rows_shown.items():
            self.update_cell(
                str(number), "due", countdown(row.due_at, row.clock_started_at, now, paused=row.paused)
            )

    def selected_row(self) -> TicketRow | None:
        if not self.row_count:
            return None
        row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        return self.rows_shown.get(int(str(row_key.value)))

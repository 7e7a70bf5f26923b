"""A client's timeline as a table, newest first, extended page by page (every cell a ``Text``: DataTable
reads plain strings as markup)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import DataTable

from hotline.core.text import printable

KIND_LABELS = {
    "call": "call",
    "email": "email",
    "note": "note",
    "meeting": "meeting",
    "message_in": "mail in",
    "message_out": "mail out",
    "status": "status",
    "assignment": "assign",
    "priority": "priority",
    "queue": "queue",
    "escalation": "escalate",
}


FIXED_COLUMNS = (("When", "when", 14), ("What", "what", 9), ("", "direction", 3), ("Ticket", "ticket", 7))
MIN_SUMMARY = 20


class TimelineTable(DataTable[Any]):
    """Rows are ``TimelineItem``s; ``cursor_key`` is where the next page starts. The summary column takes
    the width the others leave (so a long summary ends in an ellipsis, not at the terminal's edge)."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._zone = zone
        self.items: list[Any] = []
        self.exhausted = False
        self._summary_width = 0

    def on_mount(self) -> None:
        self._add_columns()

    def _wanted_summary_width(self) -> int:
        used = sum(width + 2 * self.cell_padding for _, _, width in (*FIXED_COLUMNS, ("", "", 0)))
        return max(MIN_SUMMARY, self.size.width - used - 1)

    def _add_columns(self) -> None:
        self._summary_width = self._wanted_summary_width()
        for label, key, width in FIXED_COLUMNS:
            self.add_column(label, width=width, key=key)
        self.add_column("Summary", width=self._summary_width, key="summary")

    def on_resize(self) -> None:
        if self._wanted_summary_width() != self._summary_width:
            row = self.cursor_row
            self.clear(columns=True)
            self._add_columns()
            for item in self.items:
                self._add_item(item)
            if self.items:
                self.move_cursor(row=min(row, len(self.items) - 1), animate=False)

    def reset(self) -> None:
        self.items = []
        self.exhausted = False
        self.clear()

    @property
    def cursor_key(self) -> tuple[datetime, str, int] | None:
        """The keyset cursor after the last loaded line."""
        if not self.items:
            return None
        last = self.items[-1]
        return (last.at, last.source, last.id)

    def append_page(self, items: list[Any], *, page_size: int) -> None:
        self.exhausted = len(items) < page_size
        for item in items:
            if _key(item) in self.rows:  # merged in already with the newest lines
                continue
            self.items.append(item)
            self._add_item(item)

    def merge_newest(self, fetched: list[Any]) -> None:
        """The newest page read again: its lines, then the older ones already shown that it does not
        hold (pages read further down stay); the cursor stays on its line."""
        row = self.cursor_row
        selected = _key(self.items[row]) if 0 <= row < len(self.items) else None
        fetched_keys = {_key(item) for item in fetched}
        self.items = list(fetched) + [item for item in self.items if _key(item) not in fetched_keys]
        self.clear()
        for item in self.items:
            self._add_item(item)
        keys = [_key(item) for item in self.items]
        if keys:
            self.move_cursor(row=keys.index(selected) if selected in keys else 0, animate=False)

    def _add_item(self, item: Any) -> None:
        self.add_row(
            Text(item.at.astimezone(self._zone).strftime("%d.%m.%y %H:%M")),
            Text(KIND_LABELS.get(item.kind, printable(item.kind))),
            Text({"in": "←", "out": "→"}.get(item.direction or "", "")),
            Text(f"#{item.ticket_number}" if item.ticket_number else ""),
            Text(printable(item.summary), no_wrap=True, overflow="ellipsis"),
            key=_key(item),
        )


def _key(item: Any) -> str:
    return f"{item.source}:{item.id}"

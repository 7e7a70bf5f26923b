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


class TimelineTable(DataTable[Any]):
    """Rows are ``TimelineItem``s; ``cursor_key`` is where the next page starts."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self._zone = zone
        self.items: list[Any] = []
        self.exhausted = False

    def on_mount(self) -> None:
        self.add_column("When", width=14, key="when")
        self.add_column("What", width=9, key="what")
        self.add_column("", width=3, key="direction")
        self.add_column("Ticket", width=7, key="ticket")
        self.add_column("Summary", key="summary")

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
            self.items.append(item)
            self.add_row(
                Text(item.at.astimezone(self._zone).strftime("%d.%m.%y %H:%M")),
                Text(KIND_LABELS.get(item.kind, printable(item.kind))),
                Text({"in": "←", "out": "→"}.get(item.direction or "", "")),
                Text(f"#{item.ticket_number}" if item.ticket_number else ""),
                Text(printable(item.summary), no_wrap=True, overflow="ellipsis"),
                key=f"{item.source}:{item.id}",
            )

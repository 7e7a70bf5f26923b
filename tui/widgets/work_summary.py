"""The operator's work at a glance on the home screen: open tickets assigned to them, next due first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.services.tickets import TicketSummary


@dataclass(frozen=True)
class WorkSummaryData:
    """What the summary shows (loaded in a worker)."""

    open_count: int
    overdue_count: int
    next_tickets: list[TicketSummary]


class WorkSummary(Static):
    """A few lines: how many tickets are the operator's, how many overdue, the next ones by due time."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(id=id)
        self._zone = zone
        self.border_title = "My tickets"

    def show(self, data: WorkSummaryData, now: datetime) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{data.open_count} open", style="bold")
        if data.overdue_count:
            text.append(f" · {data.overdue_count} overdue", style="bold red")
        for ticket in data.next_tickets:
            text.append("\n")
            text.append(f"#{ticket.number} ", style="bold")
            text.append(f"{ticket.priority:<7} ")
            if ticket.due_at is not None:
                due = ticket.due_at.astimezone(self._zone)
                style = "red" if ticket.due_at <= now else ""
                text.append(due.strftime("%d %b %H:%M "), style=style)
            text.append(printable(ticket.subject))
        self.update(text)

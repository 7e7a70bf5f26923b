"""The ticket screen's header: number and subject, then status, priority, queue, assignee, client and the
SLA countdown (redrawn by the screen's timer)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from hotline.core.services.tickets import TicketDetail
from hotline.core.text import printable
from hotline.tui.widgets.sla_countdown import countdown
from hotline.tui.widgets.ticket_table import PRIORITY_STYLES


class TicketHeader(Static):
    """Two or three lines about the ticket; untrusted parts (subject, names, addresses) as plain text."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(Text("Loading…", style="dim"), id=id)
        self._zone = zone
        self.detail: TicketDetail | None = None

    def show(self, detail: TicketDetail, now: datetime) -> None:
        self.detail = detail
        self.tick(now)

    def tick(self, now: datetime) -> None:
        detail = self.detail
        if detail is None:
            return
        row = detail.ticket
        text = Text(overflow="ellipsis")
        text.append(f"#{row.number} ", style="bold")
        text.append(printable(row.subject), style="bold")
        text.append("\n")
        text.append("status ", style="dim")
        text.append(row.status, style="bold")
        text.append("  priority ", style="dim")
        text.append(row.priority, style=PRIORITY_STYLES.get(row.priority, "") or "bold")
        text.append("  queue ", style="dim")
        text.append(printable(row.queue))
        text.append("  assignee ", style="dim")
        if row.assignee_login:
            text.append(printable(row.assignee_name or row.assignee_login))
        else:
            text.append("nobody", style="dim")
        text.append("  due ", style="dim")
        text.append_text(countdown(row.due_at, row.clock_started_at, now, paused=row.paused))
        if row.due_at is not None:
            text.append(row.due_at.astimezone(self._zone).strftime(" (%d.%m %H:%M)"), style="dim")
        text.append("\n")
        text.append("client ", style="dim")
        text.append(printable(row.client_name) or "—")
        text.append("  requester ", style="dim")
        text.append(printable(row.requester) or "—")
        text.append("  opened ", style="dim")
        text.append(row.created_at.astimezone(self._zone).strftime("%d.%m.%Y %H:%M"))
        self.update(text)

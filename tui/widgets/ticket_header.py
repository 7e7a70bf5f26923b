"""The ticket screen's header: number and subject, then status, priority, queue, assignee, the SLA
countdown (redrawn by the screen's timer), client, requester and when it was opened.

The fields flow over as many lines as the width needs, each kept whole, so an 80-column terminal still
shows the requester and the opened date."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.geometry import Size
from textual.widget import Widget

from hotline.core.services.tickets import TicketDetail
from hotline.core.text import printable
from hotline.tui.widgets.field_flow import field, flow, joined
from hotline.tui.widgets.sla_countdown import countdown
from hotline.tui.widgets.ticket_table import PRIORITY_STYLES


class TicketHeader(Widget):
    """The subject line and the ticket's fields; untrusted parts (subject, names, addresses) as plain text."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(id=id)
        self._zone = zone
        self.detail: TicketDetail | None = None
        self._subject = Text("Loading…", style="dim")
        self._fields: list[Text] = []

    def show(self, detail: TicketDetail, now: datetime) -> None:
        self.detail = detail
        self.tick(now)

    def tick(self, now: datetime) -> None:
        detail = self.detail
        if detail is None:
            return
        row = detail.ticket
        self._subject = Text(no_wrap=True, overflow="ellipsis")
        self._subject.append(f"#{row.number} ", style="bold")
        self._subject.append(printable(row.subject), style="bold")
        due = countdown(row.due_at, row.clock_started_at, now, paused=row.paused)
        if row.due_at is not None:
            due.append(row.due_at.astimezone(self._zone).strftime(" (%d.%m %H:%M)"), style="dim")
        assignee = printable(row.assignee_name or row.assignee_login or "")
        self._fields = [
            field("status", row.status, style="bold"),
            field("priority", row.priority, style=PRIORITY_STYLES.get(row.priority, "") or "bold"),
            field("queue", printable(row.queue)),
            field("assignee", assignee or Text("nobody", style="dim")),
            field("due", due),
            field("client", printable(row.client_name) or "—"),
            field("requester", printable(row.requester) or "—"),
            field("opened", row.created_at.astimezone(self._zone).strftime("%d.%m.%Y %H:%M")),
        ]
        self.refresh(layout=True)

    def _lines(self, width: int) -> list[Text]:
        return [self._subject, *flow(self._fields, width)] if self._fields else [self._subject]

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._lines(width))

    def render(self) -> Text:
        return joined(self._lines(self.content_size.width))

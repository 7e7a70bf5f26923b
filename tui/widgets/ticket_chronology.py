"""A ticket's whole chronology, oldest first and newest last: when, what kind, who, the text, the
attachments by file name, type and size, where a reply's mail is (queued → sent → failed, with the
server's reason) and where a message's charset had to be guessed. Bodies and names are untrusted:
printable plain text only."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import RichLog

from hotline.core.services.tickets import EventLine
from hotline.core.text import printable

KIND_LABELS = {
    "message_in": ("message in", "bold cyan"),
    "message_out": ("reply", "bold green"),
    "call": ("call", "bold magenta"),
    "note": ("note", "bold yellow"),
    "status": ("status", "dim"),
    "assignment": ("assigned", "dim"),
    "priority": ("priority", "dim"),
    "queue": ("queue", "dim"),
    "escalation": ("escalation", "bold red"),
}


def human_size(size: int) -> str:
    """``512 B``, ``2.0 KB``, ``3.4 MB``."""
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"  # pragma: no cover


def event_text(event: EventLine, zone: ZoneInfo) -> Text:
    """One event as lines of plain text: a heading, the body indented, then its attachments."""
    label, style = KIND_LABELS.get(event.kind, (event.kind, "bold"))
    text = Text()
    text.append(event.created_at.astimezone(zone).strftime("%d.%m.%Y %H:%M "), style="dim")
    text.append(f"{label:<10} ", style=style)
    text.append(printable(event.author) or "system", style="bold" if event.author else "dim")
    body = printable(event.body, multiline=True).strip("\n")
    for line in body.splitlines():
        text.append("\n  " + line.expandtabs(4))
    for attachment in event.attachments:
        text.append("\n  attached ", style="dim")
        text.append(printable(attachment.filename), style="underline")
        text.append(f"  {printable(attachment.content_type)}, {human_size(attachment.size)}", style="dim")
    if event.delivery is not None:
        style = DELIVERY_STYLES.get(event.delivery.status, "dim")
        text.append("\n  mail: ", style="dim")
        text.append(printable(event.delivery.summary(zone)), style=style)
    for note in event.charset_guessed:
        text.append("\n  charset guessed: ", style="yellow")
        text.append(printable(note), style="dim")
    return text


DELIVERY_STYLES = {"queued": "yellow", "sent": "green", "failed": "bold red"}


class TicketChronology(RichLog):
    """The events as a scrolling log that starts at the newest (the end)."""

    def __init__(self, *, zone: ZoneInfo, id: str | None = None) -> None:
        super().__init__(id=id, wrap=True, markup=False, highlight=False, auto_scroll=True)
        self._zone = zone
        self.events: list[EventLine] = []

    def show(self, events: list[EventLine], *, keep_scroll: bool = False) -> None:
        """Show ``events``, at the newest; ``keep_scroll`` (a reload): where the reader was, unless they
        were at the end (then at the new end, so new lines show)."""
        top = round(self.scroll_y)
        stay = keep_scroll and not self.is_vertical_scroll_end
        follow = False if stay else None  # None: the log's auto-scroll, also for writes it defers
        self.events = list(events)
        self.clear()
        if not events:
            self.write(Text("No events yet.", style="dim"), scroll_end=follow)
        for index, event in enumerate(events):
            if index:
                self.write(Text(""), scroll_end=follow)
            self.write(event_text(event, self._zone), scroll_end=follow)
        if stay:
            self.call_after_refresh(self.scroll_to, y=top, animate=False)
        else:
            self.scroll_end(animate=False)

"""The queue screen's left column: every queue with its open and overdue counts, "All queues" first."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hotline.core.services.ticket_views import QueueCount, QueueView
from hotline.core.text import printable

ALL_QUEUES = "\x00all"
"""Option id of "All queues" (no queue name can hold a NUL)."""


def _count(count: QueueCount, view: QueueView) -> int:
    return {
        QueueView.ALL: count.open,
        QueueView.MINE: count.mine,
        QueueView.UNASSIGNED: count.unassigned,
        QueueView.BREACHING: count.breaching,
    }[view]


def _label(name: str, shown: int, breaching: int, width: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    number = f"{shown:>4}"
    overdue = f" !{breaching}" if breaching else ""
    room = max(4, width - len(number) - len(overdue) - 1)
    text.append(printable(name)[:room].ljust(room))
    text.append(" " + number)
    if overdue:
        text.append(overdue, style="bold red")
    return text


class QueueList(OptionList):
    """Queues with the count of the current view (and overdue ones in red)."""

    LABEL_WIDTH = 22

    def show(self, counts: list[QueueCount], view: QueueView, selected: str | None) -> None:
        """Rebuild the options, keeping ``selected`` (a queue name, or None for all) highlighted."""
        total_shown = sum(_count(c, view) for c in counts)
        total_breaching = sum(c.breaching for c in counts)
        options = [
            Option(_label("All queues", total_shown, total_breaching, self.LABEL_WIDTH), id=ALL_QUEUES)
        ]
        options += [
            Option(_label(c.queue, _count(c, view), c.breaching, self.LABEL_WIDTH), id=c.queue)
            for c in counts
        ]
        self.set_options(options)
        wanted = ALL_QUEUES if selected is None else selected
        ids = [option.id for option in options]
        self.highlighted = ids.index(wanted) if wanted in ids else 0

    def selected_queue(self) -> str | None:
        """The highlighted queue's name, or None for all queues."""
        if self.highlighted is None:
            return None
        option_id = self.get_option_at_index(self.highlighted).id
        return None if option_id in (None, ALL_QUEUES) else option_id

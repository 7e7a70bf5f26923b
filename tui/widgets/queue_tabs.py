"""The queue screen's queue bar: "All" then every queue, each with the count of the current view and its
overdue tickets in red. A row of tabs, so the ticket table keeps the terminal's whole width."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Tab, Tabs

from hotline.core.services.tickets import QueueCount, QueueView
from hotline.core.text import printable

ALL_TAB = "queue-all"
MAX_NAME = 24


def view_count(count: QueueCount, view: QueueView) -> int:
    """How many of the queue's open tickets ``view`` shows."""
    return {
        QueueView.ALL: count.open,
        QueueView.MINE: count.mine,
        QueueView.UNASSIGNED: count.unassigned,
        QueueView.BREACHING: count.breaching,
    }[view]


def tab_label(name: str, shown: int, breaching: int) -> Text:
    text = Text(no_wrap=True)
    shown_name = printable(name)
    text.append(shown_name if len(shown_name) <= MAX_NAME else shown_name[: MAX_NAME - 1] + "…")
    text.append(f" {shown}", style="bold")
    if breaching:
        text.append(f" !{breaching}", style="bold red")
    return text


class QueueTabs(Tabs):
    """Tabs whose ids map to queue names (names need not be valid widget ids)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.names: dict[str, str] = {}

    async def show(self, counts: list[QueueCount], view: QueueView, selected: str | None) -> None:
        """Label the tabs with ``counts``; rebuilt only when the queues themselves changed."""
        wanted = {ALL_TAB: ""} | {f"queue-{index}": c.queue for index, c in enumerate(counts)}
        labels = {
            ALL_TAB: tab_label(
                "All", sum(view_count(c, view) for c in counts), sum(c.breaching for c in counts)
            )
        }
        for index, count in enumerate(counts):
            labels[f"queue-{index}"] = tab_label(count.queue, view_count(count, view), count.breaching)
        if wanted != self.names:
            self.names = wanted
            await self.clear()
            for tab_id, label in labels.items():
                await self.add_tab(Tab(label, id=tab_id))
        else:
            for tab_id, label in labels.items():
                self.query_one(f"#{tab_id}", Tab).label = label
        target = next(
            (tab_id for tab_id, name in wanted.items() if name == selected and tab_id != ALL_TAB), ALL_TAB
        )
        if self.active != target:
            self.active = target

    def queue_of(self, tab_id: str | None) -> str | None:
        """The queue a tab stands for; None for "All"."""
        name = self.names.get(tab_id or ALL_TAB, "")
        return name or None

    def selected_queue(self) -> str | None:
        return self.queue_of(self.active)

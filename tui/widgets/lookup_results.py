"""The lookup's result list: one line per client or ticket, untrusted names shown literally."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hotline.core.text import printable


def hit_line(hit: Any) -> Text:
    """A hit as one line: the title, then the subtitle and what matched, dimmed (never markup)."""
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append("☎ " if hit.kind == "client" else "✉ ", style="dim")
    line.append(printable(hit.title), style="bold")
    if hit.subtitle:
        line.append("  ")
        line.append(printable(hit.subtitle), style="dim")
    if hit.matched:
        line.append("  ")
        line.append(printable(hit.matched), style="italic")
    return line


class LookupResults(OptionList):
    """Hits of the current lookup; the lookup box keeps the focus and moves the highlight."""

    can_focus = False

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    """The list's height is the screen's to give (``1fr``), not its hits': a new number of hits repaints
    the list, and OptionList updates its scrolling bounds itself, instead of a layout of the whole
    screen (Widget's virtual size asks for one). A scrollbar that must show or hide still asks for it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.hits: list[Any] = []

    def show_hits(self, hits: list[Any]) -> None:
        """Replace the list; the best hit is highlighted."""
        self.hits = list(hits)
        if not self.hits:
            self.clear_options()
            return
        width = max(20, self.scrollable_content_region.width - 2)
        options = []
        for hit in self.hits:
            line = hit_line(hit)
            line.truncate(width, overflow="ellipsis")
            options.append(Option(line, id=f"{hit.kind}:{hit.id}"))
        self.set_options(options)  # one re-wrap and refresh instead of clear + add
        self.highlighted = 0

    @property
    def selected_hit(self) -> Any | None:
        index = self.highlighted
        if index is None or not 0 <= index < len(self.hits):
            return None
        return self.hits[index]

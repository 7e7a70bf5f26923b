"""The status bar: who is operating (and as what role), which database, and the clock."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.reactive import reactive
from textual.widgets import Static

from hotline.core.text import printable

if TYPE_CHECKING:
    from hotline.core.clock import Clock


class StatusBar(Static):
    """One line at the bottom of the home screen; the clock ticks every second."""

    operator: reactive[str] = reactive("")
    """The operator's login and display name."""
    role: reactive[str] = reactive("")
    """The operator's role, once loaded."""

    def __init__(self, *, login: str, database: str, clock: Clock, zone: ZoneInfo, id: str | None = None):
        super().__init__(id=id)
        self.operator = login
        self._database = database
        self._clock = clock
        self._zone = zone

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        now: datetime = self._clock.now().astimezone(self._zone)
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(" ")
        line.append(printable(self.operator), style="bold")
        if self.role:
            line.append(f" ({printable(self.role)})")
        line.append("  │  ")
        line.append(printable(self._database))
        line.append("  │  ")
        line.append(now.strftime("%a %d %b %H:%M:%S"))
        return line

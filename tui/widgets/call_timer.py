"""A running call timer: shown on a card opened by a screen pop, read by the log-call form."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import Static

from hotline.core.text import format_duration

__all__ = ["CallTimer", "format_duration"]


class CallTimer(Static):
    """``● on call 1:23``, ticking every second from ``started`` (a ``time.monotonic`` reading)."""

    def __init__(self, started: float | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.started = time.monotonic() if started is None else started

    @property
    def elapsed_seconds(self) -> int:
        return int(time.monotonic() - self.started)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        return Text.assemble(("● ", "bold red"), ("on call ", "bold"), format_duration(self.elapsed_seconds))

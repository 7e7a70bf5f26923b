"""A running call timer: shown on a card opened by a screen pop; the log-call form's duration follows it.

Time runs on the console's clock from the call's start (the ring, or the moment the card was opened), so
a test with an injected clock can move it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from hotline.core.text import format_duration

if TYPE_CHECKING:
    from hotline.core.clock import Clock

__all__ = ["CallTimer", "elapsed_seconds", "format_duration"]


def elapsed_seconds(started_at: datetime, clock: Clock, *, until: datetime | None = None) -> int:
    """Seconds from ``started_at`` to ``until`` (default: now on ``clock``), to the nearest second and
    never negative."""
    end = clock.now() if until is None else until
    return max(0, round((end - started_at).total_seconds()))


class CallTimer(Static):
    """``● on call 1:23``, ticking every second from ``started_at``."""

    def __init__(self, started_at: datetime, clock: Clock, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.started_at = started_at
        self.clock = clock

    @property
    def elapsed_seconds(self) -> int:
        return elapsed_seconds(self.started_at, self.clock)

    def on_mount(self) -> None:
        self.set_interval(1.0, self.refresh)

    def render(self) -> Text:
        return Text.assemble(("● ", "bold red"), ("on call ", "bold"), format_duration(self.elapsed_seconds))

"""A running call timer: shown on a card opened by a screen pop; the log-call form's duration follows it.

Time runs on the console's clock from the call's start (the ring, or the moment the card was opened), so
a test with an injected clock can move it.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

if TYPE_CHECKING:
    from hotline.core.clock import Clock


def format_duration(seconds: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def elapsed_seconds(started_at: datetime, clock: Clock) -> int:
    """Whole seconds since ``started_at`` on ``clock`` (never negative)."""
    return max(0, int((clock.now() - started_at).total_seconds()))


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

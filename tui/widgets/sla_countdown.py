"""The SLA due time as a countdown coloured by urgency: green while there is time, yellow when under a
quarter of the target (or under an hour) is left, red once overdue.

Pure functions of the due time, the clock's start and now, so the queue and ticket screens refresh
their countdowns from one timer without touching the database.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from rich.text import Text

WARN_FRACTION = 0.25
WARN_LEFT = timedelta(hours=1)


class Urgency(StrEnum):
    NONE = "none"
    OK = "ok"
    SOON = "soon"
    OVERDUE = "overdue"
    PAUSED = "paused"


STYLES = {
    Urgency.NONE: "dim",
    Urgency.OK: "green",
    Urgency.SOON: "bold yellow",
    Urgency.OVERDUE: "bold red",
    Urgency.PAUSED: "dim italic",
}


def urgency(
    due_at: datetime | None, started_at: datetime | None, now: datetime, *, paused: bool = False
) -> Urgency:
    """How pressing a deadline is at ``now``."""
    if paused:
        return Urgency.PAUSED
    if due_at is None:
        return Urgency.NONE
    left = due_at - now
    if left <= timedelta(0):
        return Urgency.OVERDUE
    total = due_at - started_at if started_at is not None else None
    if left < WARN_LEFT or (total is not None and total > timedelta(0) and left < total * WARN_FRACTION):
        return Urgency.SOON
    return Urgency.OK


def span(delta: timedelta) -> str:
    """A duration in the two largest units: ``45s``, ``12m``, ``2h 05m``, ``3d 4h``."""
    seconds = int(abs(delta).total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m"
    return f"{seconds}s"


def countdown(
    due_at: datetime | None, started_at: datetime | None, now: datetime, *, paused: bool = False
) -> Text:
    """``in 2h 05m`` / ``late 12m`` / ``paused`` / ``—``, styled by urgency."""
    level = urgency(due_at, started_at, now, paused=paused)
    if level is Urgency.PAUSED:
        label = "paused"
    elif due_at is None:
        label = "—"
    elif level is Urgency.OVERDUE:
        label = f"late {span(now - due_at)}"
    else:
        label = f"in {span(due_at - now)}"
    return Text(label, style=STYLES[level], no_wrap=True)

"""An injectable clock: SLA, escalation and reminders ask it for the time, so tests and replays can set it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from hotline.core.errors import InvalidInput


class Clock(Protocol):
    """Something that tells the current instant as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still (tests, ``--now``); ``advance`` moves it by hand."""

    def __init__(self, at: datetime) -> None:
        self._at = as_utc(at)

    def now(self) -> datetime:
        return self._at

    def advance(self, **delta: float) -> None:
        from datetime import timedelta

        self._at += timedelta(**delta)


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def parse_instant(text: str, *, where: str = "--now") -> datetime:
    """Parse an ISO-8601 instant (``2026-11-23T10:00:00+03:00``; naive means UTC)."""
    try:
        return as_utc(datetime.fromisoformat(text.strip()))
    except ValueError:
        raise InvalidInput(f"not an ISO-8601 date and time: {text!r}", where=where) from None


def clock_for(now: str | None) -> Clock:
    """The clock a command runs on: fixed when ``--now``/``HOTLINE_NOW`` is given, else the real one."""
    return FixedClock(parse_instant(now)) if now else SystemClock()

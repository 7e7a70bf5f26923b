"""An injectable clock: SLA, escalation and reminders ask it for the time, so tests and replays can set it."""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from typing import Protocol, TypeVar

from hotline.core.errors import InvalidInput
from hotline.core.text import printable


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


_Moment = TypeVar("_Moment", date, datetime)
EARLIEST_YEAR, LATEST_YEAR = 1970, 2999
"""The years a clock may be set to: SLA targets and reminders add years to it; a date must stay a date."""


def parse_instant(text: str, *, where: str = "--now") -> datetime:
    """Parse an ISO-8601 instant (``2026-11-23T10:00:00+03:00``; naive means UTC) between the years
    ``EARLIEST_YEAR`` and ``LATEST_YEAR``."""
    if not text.strip():  # ``--now "$AT"`` with AT unset ran on the real clock
        raise InvalidInput(
            "a blank date and time: give one (2026-11-23T10:00:00+03:00) or leave the option out", where=where
        )
    try:
        moment = as_utc(datetime.fromisoformat(text.strip()))
    except (ValueError, OverflowError):
        raise InvalidInput(f"not an ISO-8601 date and time: {printable(text)!r}", where=where) from None
    if EARLIEST_YEAR <= datetime.fromisoformat(text.strip()).year <= LATEST_YEAR:
        # within the years as typed, not in UTC: say so, or the message names a year nobody typed
        shown = f"{text} (in UTC {moment.replace(tzinfo=None).isoformat()})"
        return within_years(moment, text=shown, where=where)
    return within_years(moment, text=text, where=where)


def within_years(moment: _Moment, *, text: str, where: str) -> _Moment:
    """``moment`` when its year is between ``EARLIEST_YEAR`` and ``LATEST_YEAR``, else ``InvalidInput``."""
    if not EARLIEST_YEAR <= moment.year <= LATEST_YEAR:
        raise InvalidInput(
            f"{printable(text)!r} is outside the years {EARLIEST_YEAR}–{LATEST_YEAR}", where=where
        )
    return moment


def within_years_here(moment: datetime, zone: tzinfo, *, text: str, where: str) -> datetime:
    """``within_years`` in UTC and on the local day too: 23:59 UTC on 31 December 2999 is already 3000
    in Moscow, and a reminder there was saved and shown so."""
    within_years(moment.astimezone(zone), text=text, where=where)
    return within_years(moment, text=text, where=where)


def clock_for(now: str | None) -> Clock:
    """The clock a command runs on: fixed when ``--now``/``HOTLINE_NOW`` is given, else the real one (an
    empty variable is not given; a blank option is bad usage)."""
    return SystemClock() if now is None else FixedClock(parse_instant(now))

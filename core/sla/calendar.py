"""Business-time arithmetic on a business calendar, exact across midnight, weekends, holidays and DST.

Each local date's working time is turned once into a tuple of UTC intervals (integer microseconds since
the epoch) and cached, so adding or measuring business time walks days, never minutes. The wall-clock
hours are converted in the calendar's time zone on that date, so a day on which the clocks change keeps
its working hours as written (09:00-18:00 stays nine hours of wall clock, whatever the UTC offset).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.core.sla.config import WEEKDAYS, CalendarConfig, Span
from hotline.core.sla.duration import Duration

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
US_PER_MINUTE = 60_000_000
ONE_US = timedelta(microseconds=1)
MAX_EMPTY_DAYS = 3 * 366
"""A search for working time gives up after this many days without any (a calendar of holidays only)."""

Interval = tuple[int, int]


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, unlike ``timestamp()``)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // ONE_US


def from_us(micros: int) -> datetime:
    """Integer microseconds since the epoch as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)


class BusinessCalendar:
    """Weekly hours with breaks, public and extra holidays, extra working days, in one time zone.

    ``add(t, minutes)`` and ``elapsed(a, b)`` count business minutes; both are exact to the microsecond.
    """

    def __init__(self, config: CalendarConfig, *, name: str = "") -> None:
        self.name = name
        self.config = config
        self.zone = ZoneInfo(config.timezone)
        self._weekly: tuple[list[Span], ...] = tuple(config.day_spans(day) for day in WEEKDAYS)
        self._extra_day_spans = next((spans for spans in self._weekly if spans), [])
        self._extra_holidays = frozenset(config.extra_holidays)
        self._extra_workdays = frozenset(config.extra_workdays)
        self._public = None
        if config.country_holidays:
            import holidays

            self._public = holidays.country_holidays(config.country_holidays, subdiv=config.subdivision)
        self._days: dict[date, tuple[Interval, ...]] = {}

    # -- the working time of one local date -------------------------------------------------------

    def spans_on(self, day: date) -> list[Span]:
        """The working spans (local minutes) of a date, holidays and extra working days applied."""
        if day in self._extra_workdays:
            return self._weekly[day.weekday()] or self._extra_day_spans
        if day in self._extra_holidays or (self._public is not None and day in self._public):
            return []
        return self._weekly[day.weekday()]

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The working intervals of a local date in UTC microseconds, merged and sorted; cached."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        result: list[Interval] = []
        for start, end in self.spans_on(day):
            s, e = self._local_us(day, start), self._local_us(day, end)
            if e <= s:
                continue  # a span swallowed by a DST gap
            if result and s <= result[-1][1]:
                result[-1] = (result[-1][0], max(e, result[-1][1]))
            else:
                result.append((s, e))
        intervals = tuple(result)
        if len(self._days) > 50_000:
            self._days.clear()
        self._days[day] = intervals
        return intervals

    def _local_us(self, day: date, minute: int) -> int:
        if minute >= 24 * 60:
            day, minute = day + timedelta(days=1), minute - 24 * 60
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return to_us(local)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def is_working(self, moment: datetime) -> bool:
        """True when the instant falls inside working time."""
        point = to_us(moment)
        return any(s <= point < e for s, e in self.intervals_on(self.local_date(moment)))

    # -- arithmetic --------------------------------------------------------------------------------

    def add(self, moment: datetime, minutes: float) -> datetime:
        """The instant ``minutes`` business minutes after ``moment`` (before it, when negative).

        Forward, the count starts at the next working instant and may end exactly at the end of a
        working interval (Friday 17:00 + 1h = Friday 18:00). Backward, the result is the latest instant
        from which ``minutes`` business minutes elapse up to ``moment``.
        """
        amount = round(minutes * US_PER_MINUTE)
        if amount >= 0:
            return from_us(self._forward(to_us(moment), self.local_date(moment), amount))
        return from_us(self._backward(to_us(moment), self.local_date(moment), -amount))

    def _forward(self, point: int, day: date, remaining: int) -> int:
        if remaining == 0:
            return point
        empty = 0
        while empty < MAX_EMPTY_DAYS:
            intervals = self.intervals_on(day)
            empty = 0 if intervals else empty + 1
            for s, e in intervals:
                if e <= point:
                    continue
                start = max(s, point)
                if remaining <= e - start:
                    return start + remaining
                remaining -= e - start
            day += timedelta(days=1)
        raise ValueError(f"calendar {self.name!r} has no working time within {MAX_EMPTY_DAYS} days")

    def _backward(self, point: int, day: date, remaining: int) -> int:
        empty = 0
        while empty < MAX_EMPTY_DAYS:
            intervals = self.intervals_on(day)
            empty = 0 if intervals else empty + 1
            for s, e in reversed(intervals):
                if s >= point:
                    continue
                end = min(e, point)
                if remaining <= end - s:
                    return end - remaining
                remaining -= end - s
            day -= timedelta(days=1)
        raise ValueError(f"calendar {self.name!r} has no working time within {MAX_EMPTY_DAYS} days")

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end`` (negative when ``end`` comes first)."""
        return self.elapsed_us(start, end) / US_PER_MINUTE

    def elapsed_us(self, start: datetime, end: datetime) -> int:
        """Business microseconds from ``start`` to ``end`` (negative when ``end`` comes first)."""
        a, b = to_us(start), to_us(end)
        if b < a:
            return -self.elapsed_us(end, start)
        day, last = self.local_date(start), self.local_date(end)
        total = 0
        while day <= last:
            for s, e in self.intervals_on(day):
                lo, hi = max(s, a), min(e, b)
                if hi > lo:
                    total += hi - lo
            day += timedelta(days=1)
        return total

    # -- durations as configured -------------------------------------------------------------------

    def add_duration(self, moment: datetime, duration: Duration) -> datetime:
        """``moment`` plus a configured duration: business minutes, or calendar days on the wall clock."""
        if duration.is_business:
            return self.add(moment, duration.minutes)
        return moment + timedelta(minutes=duration.calendar_minutes)

    def cutoff(self, now: datetime, duration: Duration) -> datetime:
        """The latest start from which ``duration`` has fully passed by ``now``.

        "Idle for 4 business hours" holds for a ticket exactly when its last activity is at or before
        ``cutoff(now, 4h)``: one comparison in SQL for every ticket on this calendar.
        """
        if duration.is_business:
            return self.add(now, -duration.minutes)
        return now - timedelta(minutes=duration.calendar_minutes)

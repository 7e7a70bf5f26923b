"""Business-time arithmetic: the cases of issue 5 and the laws, checked by hypothesis."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.core.sla.calendar import BusinessCalendar
from hotline.core.sla.config import CalendarConfig
from hotline.core.sla.duration import parse_duration

WEEKDAYS_9_18 = {day: "09:00-18:00" for day in ("mon", "tue", "wed", "thu", "fri")}
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def calendar(zone: str = "Europe/Berlin", **extra: object) -> BusinessCalendar:
    return BusinessCalendar(CalendarConfig(timezone=zone, hours=WEEKDAYS_9_18, **extra), name="test")


def test_friday_evening_plus_one_hour_is_monday_morning() -> None:
    cal = calendar()
    friday = datetime(2026, 11, 20, 17, 55, tzinfo=BERLIN)
    assert cal.add(friday, 60).astimezone(BERLIN) == datetime(2026, 11, 23, 9, 55, tzinfo=BERLIN)
    assert cal.elapsed(friday, datetime(2026, 11, 23, 9, 55, tzinfo=BERLIN)) == 60


def test_the_count_may_end_exactly_at_closing_time() -> None:
    cal = calendar()
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN)
    assert cal.add(friday, 60).astimezone(BERLIN) == datetime(2026, 11, 20, 18, 0, tzinfo=BERLIN)


def test_a_start_outside_hours_counts_from_the_next_opening() -> None:
    cal = calendar()
    saturday = datetime(2026, 11, 21, 12, 0, tzinfo=BERLIN)
    assert cal.add(saturday, 30).astimezone(BERLIN) == datetime(2026, 11, 23, 9, 30, tzinfo=BERLIN)
    night = datetime(2026, 11, 24, 2, 0, tzinfo=BERLIN)
    assert cal.add(night, 30).astimezone(BERLIN) == datetime(2026, 11, 24, 9, 30, tzinfo=BERLIN)


def test_lunch_break_is_not_business_time() -> None:
    cal = calendar(breaks=["13:00-14:00"])
    noon = datetime(2026, 11, 24, 12, 30, tzinfo=BERLIN)
    assert cal.add(noon, 60).astimezone(BERLIN) == datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN)
    assert cal.elapsed(noon, datetime(2026, 11, 24, 14, 30, tzinfo=BERLIN)) == 60
    assert cal.is_working(noon)
    assert not cal.is_working(datetime(2026, 11, 24, 13, 30, tzinfo=BERLIN))


def test_public_holiday_is_skipped() -> None:
    cal = calendar(country_holidays="DE")
    # 2026-12-24 is a Thursday; 25 and 26 December are public holidays in Germany (26th is a Saturday)
    thursday = datetime(2026, 12, 24, 17, 30, tzinfo=BERLIN)
    assert cal.add(thursday, 60).astimezone(BERLIN) == datetime(2026, 12, 28, 9, 30, tzinfo=BERLIN)
    # German Unity Day falls on Tuesday 2029-10-03: Tuesday evening + 1h is Thursday morning
    tuesday = datetime(2029, 10, 2, 17, 30, tzinfo=BERLIN)
    assert cal.add(tuesday, 60).astimezone(BERLIN) == datetime(2029, 10, 4, 9, 30, tzinfo=BERLIN)


def test_russian_new_year_holidays() -> None:
    cal = calendar("Europe/Moscow", country_holidays="RU")
    moscow = ZoneInfo("Europe/Moscow")
    last_working_evening = datetime(2025, 12, 30, 17, 0, tzinfo=moscow)
    # 31 December 2025 and 1-11 January 2026 are days off in Russia
    result = cal.add(last_working_evening, 120).astimezone(moscow)
    assert result == datetime(2026, 1, 12, 10, 0, tzinfo=moscow)


def test_extra_holidays_and_extra_working_days() -> None:
    cal = calendar(extra_holidays=[date(2026, 11, 23)], extra_workdays=[date(2026, 11, 21)])
    friday = datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN)
    # Saturday 21st works 09-18; Monday 23rd is off
    assert cal.add(friday, 120).astimezone(BERLIN) == datetime(2026, 11, 21, 10, 0, tzinfo=BERLIN)
    saturday_evening = datetime(2026, 11, 21, 17, 0, tzinfo=BERLIN)
    assert cal.add(saturday_evening, 120).astimezone(BERLIN) == datetime(2026, 11, 24, 10, 0, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("zone", "friday", "monday"),
    [
        # Europe/Berlin leaves summer time on Sunday 2026-10-25
        ("Europe/Berlin", datetime(2026, 10, 23, 17, 0), datetime(2026, 10, 26, 10, 0)),
        # America/New_York starts summer time on Sunday 2026-03-08
        ("America/New_York", datetime(2026, 3, 6, 17, 0), datetime(2026, 3, 9, 10, 0)),
    ],
)
def test_across_a_dst_change_working_hours_stay_as_written(
    zone: str, friday: datetime, monday: datetime
) -> None:
    tz = ZoneInfo(zone)
    cal = calendar(zone)
    start, expected = friday.replace(tzinfo=tz), monday.replace(tzinfo=tz)
    assert cal.add(start, 120).astimezone(tz) == expected
    assert cal.elapsed(start, expected) == 120
    # the offsets really differ on both sides of the change
    assert start.utcoffset() != expected.utcoffset()


def test_round_the_clock_calendar_counts_real_time_across_dst() -> None:
    all_day = {day: "00:00-24:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    cal = BusinessCalendar(CalendarConfig(timezone="Europe/Berlin", hours=all_day))
    before = datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN)
    after = datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)
    assert cal.elapsed(before, after) == 25 * 60  # the night the clocks go back has 25 hours
    assert cal.add(before, 25 * 60) == after


def test_backward_add_gives_the_latest_start() -> None:
    cal = calendar()
    monday = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
    start = cal.add(monday, -120)
    assert start.astimezone(BERLIN) == datetime(2026, 11, 20, 17, 0, tzinfo=BERLIN)
    assert cal.elapsed(start, monday) == 120
    assert cal.elapsed(start + timedelta(seconds=1), monday) < 120


def test_cutoff_with_calendar_days() -> None:
    cal = calendar()
    now = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert cal.cutoff(now, parse_duration("3d")) == now - timedelta(days=3)
    assert cal.add_duration(now, parse_duration("3d")) == now + timedelta(days=3)
    assert cal.elapsed(cal.cutoff(now, parse_duration("4h")), now) == 240


# -- laws --------------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
minutes = st.integers(min_value=0, max_value=60 * 24 * 30)
LAW_CALENDARS = {
    "berlin": calendar(country_holidays="DE", breaks=["13:00-14:00"]),
    "new_york": calendar("America/New_York", country_holidays="US"),
    "moscow_saturday": BusinessCalendar(
        CalendarConfig(
            timezone="Europe/Moscow",
            country_holidays="RU",
            hours={**WEEKDAYS_9_18, "sat": "10:00-14:00"},
            breaks=["13:00-14:00"],
            extra_holidays=[date(2026, 12, 31)],
        )
    ),
    # night shifts through the hours the clocks jump (02:00-03:00 in Berlin)
    "berlin_night": BusinessCalendar(
        CalendarConfig(
            timezone="Europe/Berlin",
            hours=dict.fromkeys(("mon", "tue", "wed", "thu", "fri", "sat", "sun"), "00:00-04:00,20:00-24:00"),
            breaks=["02:15-02:45"],
        )
    ),
}
calendars = st.sampled_from(sorted(LAW_CALENDARS))


@settings(max_examples=200, deadline=None)
@given(name=calendars, start=instants, n=minutes)
def test_law_elapsed_inverts_add(name: str, start: datetime, n: int) -> None:
    cal = LAW_CALENDARS[name]
    assert cal.elapsed(start, cal.add(start, n)) == n


@settings(max_examples=200, deadline=None)
@given(name=calendars, end=instants, n=minutes)
def test_law_backward_add_inverts_too(name: str, end: datetime, n: int) -> None:
    cal = LAW_CALENDARS[name]
    assert cal.elapsed(cal.add(end, -n), end) == n


@settings(max_examples=200, deadline=None)
@given(name=calendars, start=instants, a=minutes, b=minutes)
def test_law_add_is_monotonic_and_additive(name: str, start: datetime, a: int, b: int) -> None:
    cal = LAW_CALENDARS[name]
    lo, hi = sorted((a, b))
    assert cal.add(start, lo) <= cal.add(start, hi)
    if a > 0:
        assert cal.add(cal.add(start, a), b) == cal.add(start, a + b)


@settings(max_examples=200, deadline=None)
@given(name=calendars, x=instants, y=instants, z=instants)
def test_law_elapsed_is_additive_and_antisymmetric(name: str, x: datetime, y: datetime, z: datetime) -> None:
    cal = LAW_CALENDARS[name]
    a, b, c = sorted((x, y, z))
    assert cal.elapsed_us(a, b) + cal.elapsed_us(b, c) == cal.elapsed_us(a, c)
    assert cal.elapsed_us(c, a) == -cal.elapsed_us(a, c)
    assert 0 <= cal.elapsed_us(a, b) <= (b - a) // timedelta(microseconds=1)


@settings(max_examples=300, deadline=None)
@given(name=calendars, start=instants, now=instants, n=st.integers(min_value=1, max_value=60 * 24 * 10))
def test_law_cutoff_decides_the_condition(name: str, start: datetime, now: datetime, n: int) -> None:
    """What escalation relies on: "n business minutes have passed since start" ⟺ start <= cutoff."""
    cal = LAW_CALENDARS[name]
    duration = parse_duration(f"{n}m")
    assert (cal.elapsed(start, now) >= n) == (start <= cal.cutoff(now, duration))

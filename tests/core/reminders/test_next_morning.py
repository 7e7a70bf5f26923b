""" "Tomorrow morning in business hours": the business calendar when there is one, else 09:00 Mon–Fri."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from hotline.core.services.reminders import next_morning, reminder_calendar
from hotline.core.settings import Settings
from hotline.core.sla.calendar import BusinessCalendar
from hotline.core.sla.config import CalendarConfig

MOSCOW = ZoneInfo("Europe/Moscow")
OFFICE = CalendarConfig(
    timezone="Europe/Moscow",
    country_holidays="RU",
    hours={day: "10:00-19:00" for day in ("mon", "tue", "wed", "thu", "fri")},
    extra_holidays=[date(2026, 12, 31)],
)


def test_without_a_calendar_nine_on_the_next_weekday() -> None:
    assert next_morning(datetime(2026, 11, 23, 10, 0, tzinfo=MOSCOW), zone=MOSCOW) == datetime(
        2026, 11, 24, 9, 0, tzinfo=MOSCOW
    )
    assert next_morning(datetime(2026, 11, 28, 10, 0, tzinfo=MOSCOW), zone=MOSCOW) == datetime(
        2026, 11, 30, 9, 0, tzinfo=MOSCOW
    )


def test_just_after_midnight_is_still_tomorrow_not_today() -> None:
    assert next_morning(datetime(2026, 11, 24, 0, 30, tzinfo=MOSCOW), zone=MOSCOW) == datetime(
        2026, 11, 25, 9, 0, tzinfo=MOSCOW
    )


def test_with_a_calendar_its_opening_after_holidays() -> None:
    calendar = BusinessCalendar(OFFICE, name="office")
    # 30 December 2026: the 31st is an extra holiday, 1–8 January are Russian public holidays.
    result = next_morning(datetime(2026, 12, 30, 15, 0, tzinfo=MOSCOW), zone=MOSCOW, calendar=calendar)
    assert result.astimezone(MOSCOW).hour == 10
    assert result.astimezone(MOSCOW).date() > date(2027, 1, 8)
    assert calendar.is_working(result)


def test_the_office_calendar_is_picked_from_settings() -> None:
    settings = Settings(calendars={"night": OFFICE, "office": OFFICE})
    picked = reminder_calendar(settings)
    assert picked is not None
    assert picked.name == "office"
    assert reminder_calendar(Settings()) is None

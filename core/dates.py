"""Dates as people write them: ``16.01.1999``, ``16/01/1999``, ``1999-01-16``.

The order of day and month is a setting (``date_order``), not a guess: ``03.04.1999`` is the 3rd of April
in a day-first centre and the 4th of March in a month-first one. A year written first with four digits is
read as ISO whatever the setting. A date that cannot exist (``31.02.1990``) is refused with the reason, so
the operator can correct it at once.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from typing import Literal, get_args

from hotline.core.errors import InvalidInput

DateOrder = Literal["dmy", "mdy", "ymd"]
"""Day-month-year (most of the world), month-day-year (US), year-month-day (ISO, East Asia)."""

DATE_ORDERS: tuple[str, ...] = get_args(DateOrder)

_PATTERNS = {"dmy": "DD.MM.YYYY", "mdy": "MM/DD/YYYY", "ymd": "YYYY-MM-DD"}
_SEPARATORS = {"dmy": ".", "mdy": "/", "ymd": "-"}
_PARTS = re.compile(r"(\d+)[./\- ](\d+)[./\- ](\d+)")


def date_pattern(order: DateOrder) -> str:
    """How a date is written in ``order`` (a field's placeholder, an error's hint)."""
    return _PATTERNS[order]


def format_date(value: date, order: DateOrder) -> str:
    """``value`` written as the operator would type it in ``order`` (``parse_date`` reads it back)."""
    day, month, year = f"{value.day:02d}", f"{value.month:02d}", f"{value.year:04d}"
    parts = {"dmy": (day, month, year), "mdy": (month, day, year), "ymd": (year, month, day)}[order]
    return _SEPARATORS[order].join(parts)


def parse_date(text: str, order: DateOrder) -> date:
    """The date ``text`` names, read in ``order``; separators ``.``, ``/``, ``-`` or a space.

    Raises InvalidInput saying why: not a date, a two-digit year, no such month, or no such day in that
    month (``31.02.1990``: "February 1990 has 28 days").
    """
    typed = text.strip()
    match = _PARTS.fullmatch(typed)
    if match is None:
        raise InvalidInput(f"{typed!r} is not a date: write it as {date_pattern(order)}")
    first, second, third = match.groups()
    if len(first) == 4:  # a year written first is ISO whatever the order
        year_text, month_text, day_text = first, second, third
    else:
        by_order = {
            "dmy": (third, second, first),
            "mdy": (third, first, second),
            "ymd": (first, second, third),
        }
        year_text, month_text, day_text = by_order[order]
    if len(year_text) != 4:
        raise InvalidInput(f"{typed!r}: write the year in full (four digits), as {date_pattern(order)}")
    if len(month_text) > 2 or len(day_text) > 2:
        raise InvalidInput(f"{typed!r} is not a date: write it as {date_pattern(order)}")
    year, month, day = int(year_text), int(month_text), int(day_text)
    if year == 0:
        raise InvalidInput(f"{typed!r}: there is no year 0")
    if not 1 <= month <= 12:
        raise InvalidInput(f"{typed!r}: there is no month {month} (the order is {date_pattern(order)})")
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        raise InvalidInput(f"{typed!r}: {calendar.month_name[month]} {year} has {days} days")
    return date(year, month, day)

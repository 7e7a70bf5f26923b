"""What "when" means, typed by a person: ``30m``, ``2h``, ``3d``, ``tomorrow``, ``14:30``, a date as
people here write it (the settings' ``date_order``: ``01.12.2026`` day-first) with an optional ``HH:MM``,
or an ISO-8601 time. One grammar for ``reminders add --at`` and the console's "when" fields: the two
had a parser each, and each took words the other refused (and the console saved a reminder in 3500).

Times are the call centre's local time (the settings' zone); a bare date means 09:00 that day, a bare
``HH:MM`` its next coming. The instant must lie within ``EARLIEST_YEAR``–``LATEST_YEAR`` in UTC and on the
local day too (``clock.within_years_here``).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.core.clock import within_years_here
from hotline.core.dates import DateOrder, date_pattern, format_date, parse_date
from hotline.core.errors import InvalidInput
from hotline.core.text import printable

MORNING = time(9, 0)
_RELATIVE = re.compile(r"^\+?(\d{1,5})\s*(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_DATE_TIME = re.compile(r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4})(?:[ t](\d{1,2}:\d{2}))?")
_CLOCK = re.compile(r"\d{1,2}:\d{2}")


def examples(order: DateOrder) -> str:
    """What a "when" accepts, for a placeholder and an error."""
    return f"30m, 2h, 3d, tomorrow, 14:30, {format_date(date(2026, 12, 1), order)} 10:00"


def parse_when(
    text: str, *, now: datetime, zone: ZoneInfo, order: DateOrder, where: str = "when"
) -> datetime | None:
    """The instant (UTC) ``text`` means, seen from ``now``; blank is None; anything else is
    ``InvalidInput`` (at ``where``) saying why."""
    shown = " ".join(text.split())
    if not shown:
        return None
    try:
        moment = _parse(shown, now=now, zone=zone, order=order, where=where)
        within_years_here(moment, zone, text=shown, where=where)
    except OverflowError:  # 01.01.0001 00:30 in Moscow is before year 1 in UTC
        raise InvalidInput(f"not a time this calendar can hold: {printable(shown)!r}", where=where) from None
    return moment


def _parse(shown: str, *, now: datetime, zone: ZoneInfo, order: DateOrder, where: str) -> datetime:
    text = shown.lower()
    if match := _RELATIVE.match(text):
        return (now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})).astimezone(UTC)
    local_now = now.astimezone(zone)
    if text == "tomorrow":
        return _at(local_now.date() + timedelta(days=1), MORNING, zone)
    if dated := _DATE_TIME.fullmatch(text):
        day_text, clock = dated.groups()
        try:
            day = parse_date(day_text, order)
        except InvalidInput as error:  # says why: no such day in that month, no such month…
            raise InvalidInput(error.message, where=where) from None
        return _at(day, _clock(clock, where=where) if clock else MORNING, zone)
    if _CLOCK.fullmatch(text):
        clock = _clock(text, where=where)
        moment = _at(local_now.date(), clock, zone)
        return moment if moment > now else _at(local_now.date() + timedelta(days=1), clock, zone)
    try:
        moment = datetime.fromisoformat(shown)
    except ValueError:
        raise InvalidInput(
            f"not understood {printable(shown)!r} (use {examples(order)} or {date_pattern(order)} 10:00)",
            where=where,
        ) from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(UTC)


def _clock(text: str, *, where: str) -> time:
    try:
        return time.fromisoformat(text.zfill(5))
    except ValueError:
        raise InvalidInput(f"not a time of day: {text!r}", where=where) from None


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)

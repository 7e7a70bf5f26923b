"""An input for "when": ``30m``, ``2h``, ``3d``, ``tomorrow``, ``14:30`` or a date with an optional time,
written as people here write dates (``01.12.2026 10:00`` day-first, the settings' ``date_order``; ISO
``2026-12-01 10:00`` always).

Times are the call centre's local time (settings' time zone); a bare date means 09:00 that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hotline.core.dates import DateOrder, format_date, parse_date
from hotline.core.errors import InvalidInput
from hotline.tui.widgets.one_line_input import OneLineInput

MORNING = time(9, 0)
_RELATIVE = re.compile(r"^(\d{1,4})\s*(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}
_DATE_TIME = re.compile(r"(\d{1,4}[./-]\d{1,2}[./-]\d{1,4})(?:[ t](\d{1,2}:\d{2}))?")


def examples(order: DateOrder) -> str:
    """What the field accepts, for its placeholder and its error."""
    return f"30m, 2h, 3d, tomorrow, 14:30, {format_date(date(2026, 12, 1), order)} 10:00"


def parse_when(text: str, *, now: datetime, zone: ZoneInfo, order: DateOrder = "dmy") -> datetime | None:
    """The instant (UTC) ``text`` means, seen from ``now``, a date read in ``order``; blank is None;
    anything else is ValueError saying why (a date whose instant no ``datetime`` holds too: 01.01.0001
    00:30 in Moscow is before year 1 in UTC, and its OverflowError ended the console)."""
    shown = " ".join(text.split())
    try:
        return _parse_when(shown.lower(), now=now, zone=zone, order=order)
    except OverflowError:
        raise ValueError(f"when: {shown} is out of range") from None


def _parse_when(text: str, *, now: datetime, zone: ZoneInfo, order: DateOrder) -> datetime | None:
    if not text:
        return None
    local_now = now.astimezone(zone)
    match = _RELATIVE.match(text)
    if match:
        return (now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})).astimezone(UTC)
    if text == "tomorrow":
        return _at(local_now.date() + timedelta(days=1), MORNING, zone)
    if dated := _DATE_TIME.fullmatch(text):
        day_text, clock = dated.groups()
        try:
            day = parse_date(day_text, order)
        except InvalidInput as error:
            raise ValueError(f"when: {error.message}") from None
        text = clock or ""
        if not clock:
            return _at(day, MORNING, zone)
    else:
        day = None
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            moment = _at(day or local_now.date(), time.fromisoformat(text.zfill(5)), zone)
            return moment if day or moment > now else moment + timedelta(days=1)
    except ValueError:
        pass
    raise ValueError(f"when: not understood {text!r} ({examples(order)})")


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


class WhenInput(OneLineInput):
    """An ``Input`` whose value ``parse_when`` reads."""

    def __init__(
        self, value: str = "", *, order: DateOrder = "dmy", id: str | None = None, compact: bool = True
    ) -> None:
        placeholder = examples(order).replace(", 3d", "").replace(", ", " · ")
        super().__init__(value, placeholder=placeholder, id=id, compact=compact, what="a time")
        self.order: DateOrder = order

    def when(self, *, now: datetime, zone: ZoneInfo) -> datetime | None:
        return parse_when(self.value, now=now, zone=zone, order=self.order)

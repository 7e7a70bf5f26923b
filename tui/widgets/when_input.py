"""An input for "when": ``30m``, ``2h``, ``3d``, ``tomorrow``, ``14:30`` or ``2026-12-01 10:00``.

Times are the call centre's local time (settings' time zone); a bare date means 09:00 that day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from textual.widgets import Input

MORNING = time(9, 0)
_RELATIVE = re.compile(r"^(\d{1,4})\s*(m|min|h|d)$")
_UNITS = {"m": "minutes", "min": "minutes", "h": "hours", "d": "days"}


def parse_when(text: str, *, now: datetime, zone: ZoneInfo) -> datetime | None:
    """The instant (UTC) ``text`` means, seen from ``now``; blank is None; anything else is ValueError."""
    text = " ".join(text.strip().lower().split())
    if not text:
        return None
    local_now = now.astimezone(zone)
    match = _RELATIVE.match(text)
    if match:
        return (now + timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})).astimezone(UTC)
    if text == "tomorrow":
        return _at(local_now.date() + timedelta(days=1), MORNING, zone)
    try:
        if re.fullmatch(r"\d{1,2}:\d{2}", text):
            moment = _at(local_now.date(), time.fromisoformat(text.zfill(5)), zone)
            return moment if moment > now else moment + timedelta(days=1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return _at(date.fromisoformat(text), MORNING, zone)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[ t]\d{1,2}:\d{2}", text):
            day, clock = re.split(r"[ t]", text)
            return _at(date.fromisoformat(day), time.fromisoformat(clock.zfill(5)), zone)
    except ValueError:
        pass
    raise ValueError(f"when: not understood {text!r} (30m, 2h, 3d, tomorrow, 14:30, 2026-12-01 10:00)")


def _at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


class WhenInput(Input):
    """An ``Input`` whose value ``parse_when`` reads."""

    def __init__(self, value: str = "", *, id: str | None = None, compact: bool = True) -> None:
        super().__init__(
            value, placeholder="30m · 2h · tomorrow · 14:30 · 2026-12-01 10:00", id=id, compact=compact
        )

    def when(self, *, now: datetime, zone: ZoneInfo) -> datetime | None:
        return parse_when(self.value, now=now, zone=zone)

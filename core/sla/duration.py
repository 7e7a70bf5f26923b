"""Durations as written in the configuration file: ``30m``, ``1h``, ``1h30m``, ``8h`` (business time), ``3d``.

Minutes and hours are business time, counted on a business calendar. Days (``d``) and weeks (``w``) are
calendar days of 24 hours: "pending for 3 days" means three days on the wall clock, weekends included.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PART = re.compile(r"(\d+)\s*([wdhm])")
_WHOLE = re.compile(r"(?:\s*\d+\s*[wdhm])+\s*")
_MINUTES_PER_UNIT = {"w": 7 * 24 * 60, "d": 24 * 60, "h": 60, "m": 1}
MAX_MINUTES = 10 * 366 * 24 * 60
"""Ten years: a longer target is a typo, and would run dates past what a calendar can count."""


@dataclass(frozen=True)
class Duration:
    """A length of time: ``minutes`` of business time, or ``calendar_minutes`` of wall-clock time."""

    minutes: int = 0
    calendar_minutes: int = 0
    text: str = ""

    @property
    def is_business(self) -> bool:
        """True when counted in business time (written in hours and minutes)."""
        return self.calendar_minutes == 0

    def __str__(self) -> str:
        return self.text


def parse_duration(text: str) -> Duration:
    """Parse ``1h30m`` / ``45m`` / ``3d`` / ``2w``; raise ValueError with a readable reason otherwise.

    Days and weeks cannot be mixed with hours and minutes: the two count different clocks.
    """
    cleaned = str(text).strip().lower()
    if not cleaned or not _WHOLE.fullmatch(cleaned):
        raise ValueError(f"bad duration {text!r}: write it like 30m, 1h, 1h30m, 8h or 3d")
    if len(cleaned) > 40:
        raise ValueError(f"bad duration {text[:40]!r}…: too long to be a duration")
    parts = _PART.findall(cleaned)
    units = [unit for _, unit in parts]
    if len(set(units)) != len(units):
        raise ValueError(f"bad duration {text!r}: a unit appears twice")
    business = sum(int(n) * _MINUTES_PER_UNIT[u] for n, u in parts if u in "hm")
    calendar = sum(int(n) * _MINUTES_PER_UNIT[u] for n, u in parts if u in "wd")
    if business and calendar:
        raise ValueError(
            f"bad duration {text!r}: days (calendar time) cannot be mixed with hours (business time)"
        )
    if business + calendar <= 0:
        raise ValueError(f"bad duration {text!r}: must be longer than zero")
    if business + calendar > MAX_MINUTES:
        raise ValueError(f"bad duration {text!r}: longer than ten years")
    return Duration(minutes=business, calendar_minutes=calendar, text=cleaned.replace(" ", ""))

"""Whether an operator is on shift at an instant: the weekly pattern, overnight spans, exceptions.

Pure functions over the rows: a shift belongs to the day it starts (``22:00-06:00`` on Monday runs into
Tuesday morning), so an exception for Monday (vacation, a sick day) cancels it and a swap on Monday
exchanges it for the colleague's Monday.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from hotline.core.models import Shift, ShiftException

EXCEPTION_KINDS = ("vacation", "sick", "swap")
MINUTES_A_DAY = 24 * 60


def span_text(start_minute: int, end_minute: int) -> str:
    """``22:00-06:00``."""
    end = end_minute if end_minute else MINUTES_A_DAY
    return f"{start_minute // 60:02}:{start_minute % 60:02}-{end // 60:02}:{end % 60:02}"


def parse_shift_span(text: str) -> tuple[int, int]:
    """``09:00-18:00`` or the overnight ``22:00-06:00`` as minutes; ``ValueError`` otherwise."""
    from hotline.core.sla.config import parse_span

    start_text, sep, end_text = str(text).partition("-")
    if not sep:
        raise ValueError(f"bad shift {text!r}: write it like 09:00-18:00 or 22:00-06:00")
    try:
        return parse_span(text)
    except ValueError:
        # An end at or before the start runs past midnight: check both halves as times of day.
        # The halves are checked as ranges of their own; a fault is told with the range as typed (it
        # said "bad time range '25:00-24:00'" for "25:00-26:00", a range no one wrote).
        try:
            start, _ = parse_span(f"{start_text}-24:00")
            _, end = parse_span(f"00:00-{end_text}") if end_text.strip() not in ("00:00", "0:00") else (0, 0)
        except ValueError as error:
            reason = str(error).rpartition(": ")[2]
            raise ValueError(f"bad shift {text!r}: {reason}") from None
        if end == start:
            raise ValueError(f"bad shift {text!r}: it would last no time or a whole day") from None
        return start, end


def parse_weekdays(text: str) -> list[int]:
    """``mon-fri``, ``sat,sun``, ``mon`` or ``all`` as weekday numbers (0 = Monday)."""
    cleaned = str(text).strip().lower()
    if cleaned in ("all", "*", "daily"):
        return list(range(7))
    days: list[int] = []
    for part in cleaned.split(","):
        first, dash, last = part.strip().partition("-")
        try:
            a = _weekday(first)
            b = _weekday(last) if dash else a  # "mon-" is a range cut short, not Monday
        except ValueError:
            raise ValueError(f"bad days {text!r}: write them like mon-fri, sat,sun or all") from None
        days.extend(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return sorted(set(days))


_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _weekday(text: str) -> int:
    """A day's number from its name or a start of it of three letters or more (``mon``, ``Monday``):
    ``mon\x1b`` or ``monkey`` is no day (they were read by their first three letters)."""
    word = text.strip()
    for number, name in enumerate(_DAY_NAMES):
        if len(word) >= 3 and name.startswith(word):
            return number
    raise ValueError(text)


def _covers(exception: ShiftException, day: date) -> bool:
    return exception.starts_on <= day <= exception.ends_on


def pattern_on(
    operator_id: int,
    day: date,
    shifts_of: Callable[[int], Sequence[Shift]],
    exceptions: Iterable[ShiftException],
) -> list[Shift]:
    """The shifts ``operator_id`` starts on ``day``: none on vacation or sick, the colleague's on a swap."""
    source = operator_id
    for exception in exceptions:
        if not _covers(exception, day):
            continue
        if exception.operator_id == operator_id and exception.kind in ("vacation", "sick"):
            return []
        if exception.kind == "swap":
            if exception.operator_id == operator_id and exception.other_operator_id is not None:
                source = exception.other_operator_id
            elif exception.other_operator_id == operator_id:
                source = exception.operator_id
    return [shift for shift in shifts_of(source) if shift.weekday == day.weekday()]


def on_shift_at(
    operator_id: int,
    at: datetime,
    shifts_of: Callable[[int], Sequence[Shift]],
    exceptions: Iterable[ShiftException],
) -> bool:
    """True when a shift of the operator (after exceptions) covers the instant ``at``."""
    exceptions = list(exceptions)
    zones = {shift.timezone for shift in shifts_of(operator_id)}
    for exception in exceptions:
        if exception.kind == "swap":
            zones |= {shift.timezone for shift in shifts_of(exception.operator_id)}
            if exception.other_operator_id is not None:
                zones |= {shift.timezone for shift in shifts_of(exception.other_operator_id)}
    for zone in zones:
        local = at.astimezone(ZoneInfo(zone))
        minute = local.hour * 60 + local.minute
        today = local.date()
        for shift in pattern_on(operator_id, today, shifts_of, exceptions):
            overnight = shift.end_minute <= shift.start_minute
            end = MINUTES_A_DAY if overnight else shift.end_minute
            if shift.timezone == zone and shift.start_minute <= minute < end:
                return True
        for shift in pattern_on(operator_id, today - timedelta(days=1), shifts_of, exceptions):
            overnight = shift.end_minute <= shift.start_minute
            if shift.timezone == zone and overnight and minute < shift.end_minute:
                return True
    return False

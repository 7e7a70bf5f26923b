"""What every report is: a title, named columns, rows of plain values; and the period it covers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hotline.core.clock import within_years
from hotline.core.errors import InvalidInput
from hotline.core.text import printable


@dataclass(frozen=True)
class Period:
    """Whole local days ``first``..``last`` (both included; either may be open) in ``zone``."""

    first: date | None
    last: date | None
    zone: ZoneInfo

    def __post_init__(self) -> None:
        if self.first and self.last and self.first > self.last:
            raise InvalidInput(f"--from {self.first} is after --to {self.last}", where="--from")

    @property
    def start(self) -> datetime | None:
        """The first instant inside the period (local midnight of ``first``), or None when open."""
        return datetime.combine(self.first, time(0), self.zone) if self.first else None

    @property
    def end(self) -> datetime | None:
        """The first instant after the period (local midnight after ``last``), or None when open."""
        return datetime.combine(self.last + timedelta(days=1), time(0), self.zone) if self.last else None

    def where(self, column: Any) -> list[Any]:
        """SQL conditions keeping ``column`` (an instant) inside the period."""
        conditions = []
        if self.start is not None:
            conditions.append(column >= self.start)
        if self.end is not None:
            conditions.append(column < self.end)
        return conditions

    def as_json(self) -> dict[str, str | None]:
        return {
            "from": self.first.isoformat() if self.first else None,
            "to": self.last.isoformat() if self.last else None,
            "timezone": self.zone.key,
        }


def parse_day(text: str | None, *, where: str) -> date | None:
    """A ``YYYY-MM-DD`` option value; anything else is bad usage naming the option."""
    if text is None or not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"not a date (YYYY-MM-DD): {printable(text)!r}", where=where) from None
    return within_years(day, text=text, where=where)


@dataclass
class Report:
    """A finished report: ``rows`` line up with ``columns``; values are str, int, float or None."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    period: Period | None = None
    generated_at: datetime | None = None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def as_json(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "title": self.title,
            "period": self.period.as_json() if self.period else None,
            "generated_at": self.generated_at.isoformat() if self.generated_at else None,
            "columns": self.columns,
            "rows": self.records(),
        }

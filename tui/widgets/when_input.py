"""An input for "when" (the grammar is core's, ``hotline.core.when``: the CLI's ``--at`` reads the same)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.core.dates import DateOrder
from hotline.core.errors import InvalidInput
from hotline.core.text import printable
from hotline.core.when import examples, parse_when
from hotline.tui.widgets.one_line_input import OneLineInput

__all__ = ["WhenInput", "future_when", "parse_when"]


def future_when(
    text: str, *, now: datetime, zone: ZoneInfo, order: DateOrder, where: str = "when"
) -> datetime | None:
    """``parse_when``, refusing a time already past: a mistyped year (01.01.2020 for 2027) was taken,
    "Reminder set for 01 Jan 10:00.", and the reminder or follow-up was overdue at once."""
    moment = parse_when(text, now=now, zone=zone, order=order, where=where)
    if moment is not None and moment <= now:
        shown = printable(" ".join(text.split()))
        raise InvalidInput(
            f"{shown!r} is in the past ({moment.astimezone(zone):%d %b %Y %H:%M})", where=where
        )
    return moment


class WhenInput(OneLineInput):
    """An ``Input`` whose value ``parse_when`` reads."""

    def __init__(
        self, value: str = "", *, order: DateOrder = "dmy", id: str | None = None, compact: bool = True
    ) -> None:
        placeholder = examples(order).replace(", 3d", "").replace(", ", " · ")
        super().__init__(value, placeholder=placeholder, id=id, compact=compact, what="a time")
        self.order: DateOrder = order

    def when(self, *, now: datetime, zone: ZoneInfo) -> datetime | None:
        return future_when(self.value, now=now, zone=zone, order=self.order)

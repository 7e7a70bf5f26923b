"""An input for "when" (the grammar is core's, ``hotline.core.when``: the CLI's ``--at`` reads the same)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from hotline.core.dates import DateOrder
from hotline.core.when import examples, parse_when
from hotline.tui.widgets.one_line_input import OneLineInput

__all__ = ["WhenInput", "parse_when"]


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

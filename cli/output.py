"""Writing to the terminal: data to stdout, diagnostics to stderr, untrusted text never as markup."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from hotline.core.text import json_safe, printable


def stdout() -> Console:
    return Console(soft_wrap=False, highlight=False, markup=False)


def stderr() -> Console:
    return Console(stderr=True, highlight=False, markup=False, soft_wrap=True)


class Multiline(str):
    """A cell whose line breaks are kept (a chronology line's text): still printable, never markup."""

    __slots__ = ()


def safe(value: object) -> Text:
    """A table cell from untrusted data: control characters stripped, never read as markup; line breaks
    kept in a ``Multiline`` value (elsewhere they are spaces)."""
    if value is None:
        return Text("—", style="dim")
    if isinstance(value, Multiline):
        return Text(printable(value, multiline=True).expandtabs(4))
    if isinstance(value, datetime):
        return Text(value.isoformat(timespec="minutes"))
    return Text(printable(str(value)))


def print_json(data: Any) -> None:
    """Print JSON only (for ``--json``): UTF-8, dates as ISO-8601; control and format characters (ESC,
    U+009B, bidi overrides) written as ``\\uXXXX`` escapes, so the data is intact and the terminal safe."""
    text = json.dumps(data, ensure_ascii=False, indent=2, default=_json_default)
    sys.stdout.write(json_safe(text) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


class TerminalText:
    """Text written to standard output when it is a terminal: what a person reads there, not what a file
    keeps, so a stored name's escape sequences and control characters are left out (``printable``; the
    terminal ran them: an OSC title, a clear screen). Redirected, a file or a pipe gets every byte."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        # Character by character, so a sequence split across two writes loses its ESC all the same.
        return self._stream.write(printable(text, multiline=True))

    def flush(self) -> None:
        self._stream.flush()


def text_out() -> Any:
    """Standard output for an export's or a report's text: ``TerminalText`` on a terminal."""
    return TerminalText(sys.stdout) if sys.stdout.isatty() else sys.stdout


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> Table:
    """A Rich table whose every cell goes through ``safe``. A word longer than its column (an address, a
    link, a file name) is folded onto the next line, never cut to an ellipsis: the value is all there."""
    result = Table(title=title, title_justify="left", header_style="bold")
    for column in columns:
        result.add_column(column, overflow="fold")
    for row in rows:
        result.add_row(*(safe(cell) for cell in row))
    return result


@dataclass(frozen=True)
class Page:
    """Where a listing's page is in the whole: said on stderr in text, as keys beside the items in JSON."""

    offset: int
    count: int
    more: bool

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.count if self.more else None

    def as_json(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "count": self.count,
            "more": self.more,
            "next_offset": self.next_offset,
        }

    def tell(self) -> None:
        if self.more:
            shown = f"{self.offset + 1:,}–{self.offset + self.count:,}"
            info(f"showing {shown}; there are more: --offset {self.next_offset}")


def info(message: str) -> None:
    """A diagnostic line on stderr (through the printable filter: it may name files and values)."""
    stderr().print(Text(printable(message)))

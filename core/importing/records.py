"""The shape every reader produces: a header and numbered rows of text cells."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from hotline.core.errors import InvalidInput

# Bounds that keep a hostile or broken file from eating the machine.
MAX_COLUMNS = 1000
MAX_LINE_CHARS = 1_000_000
MAX_CELL_CHARS = 100_000
"""A longer cell is a row error (``DraftBuilder``), named by file, line and column."""


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row: ``line`` is where it starts in the file (CSV line, sheet row, vCard BEGIN line)."""

    line: int
    cells: tuple[str, ...]
    problem: str | None = None
    absent: frozenset[str] = frozenset()
    """Header names this row does not have at all (a JSON object without the key), unlike a blank."""
    inexact: frozenset[int] = frozenset()
    """Columns holding a spreadsheet number that cannot be read exactly (a fraction, past 15 digits): as
    a phone it is refused, never stored garbled."""


class RowSource(Protocol):
    """A readable table: ``header`` is known after opening; iterating yields the data rows in order."""

    path: Path
    header: tuple[str, ...]
    nothing_read: str
    """What an import of a source with no row says (a JSON array or an address book has no header)."""

    def __iter__(self) -> Iterator[SourceRow]: ...

    def fraction(self) -> float | None:
        """How much of the file has been read (0..1), when that can be told."""
        ...

    def close(self) -> None: ...


def where(path: Path, line: int | None = None, field: str | None = None) -> str:
    """``file:line: field`` as error messages name a place."""
    place = str(path) if line is None else f"{path}:{line}"
    return f"{place}: {field}" if field else place


def fit_row(cells: list[str], width: int, *, path: Path, line: int) -> SourceRow:
    """A row padded or trimmed to the header's width; non-empty cells past the header are a row problem."""
    if len(cells) <= width:
        return SourceRow(line, tuple(cells) + ("",) * (width - len(cells)))
    extra = [cell for cell in cells[width:] if cell.strip()]
    row = SourceRow(line, tuple(cells[:width]))
    if extra:
        return SourceRow(
            line,
            row.cells,
            problem=f"the row has {len(cells)} fields but the header has {width}",
        )
    return row


def check_header(header: list[str], *, path: Path, line: int) -> tuple[str, ...]:
    """The header with blanks trimmed at the end; too wide or empty is a file error."""
    while header and not header[-1].strip():
        header.pop()
    if not header:
        raise InvalidInput("the header row is empty", where=where(path, line))
    if len(header) > MAX_COLUMNS:
        raise InvalidInput(
            f"the header has {len(header)} columns; at most {MAX_COLUMNS} are supported",
            where=where(path, line),
        )
    return tuple(cell.strip() for cell in header)

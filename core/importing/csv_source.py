"""Streaming CSV reader: delimiter and encoding detected, bounded line length, errors with line numbers."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from io import TextIOWrapper
from pathlib import Path

from hotline.core.errors import InvalidInput
from hotline.core.importing.encoding import binary_kind, file_encoding, read_sample
from hotline.core.importing.records import (
    MAX_CELL_CHARS,
    MAX_LINE_CHARS,
    SourceRow,
    check_header,
    fit_row,
    where,
)

DELIMITERS = (",", ";", "\t")


def detect_delimiter(header_line: str) -> str:
    """The delimiter used in the header line: whichever of ``,`` ``;`` tab occurs most outside quotes."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


class _LineReader:
    """Lines of text decoded one at a time, so a bad byte is reported on its own line.

    A text wrapper decodes ahead in blocks and would blame an earlier line; UTF-16 (where a newline is
    two bytes) is the exception and goes through one.
    """

    def __init__(self, path: Path, encoding: str, *, cr_lines: bool = False) -> None:
        self._binary = path.open("rb")
        self._text: TextIOWrapper | None = None
        self._cr_lines = cr_lines  # lines end in a bare CR (Excel for Mac's "CSV (Macintosh)")
        self._pending = b""
        if encoding == "utf-16":
            self._text = TextIOWrapper(self._binary, encoding=encoding, errors="strict", newline="")
        else:
            self._decoder = codecs.getincrementaldecoder(encoding)(errors="strict")

    def readline(self) -> str:
        if self._text is not None:
            return self._text.readline(MAX_LINE_CHARS + 1)
        if self._cr_lines:
            return self._decoder.decode(self._read_to_cr(MAX_LINE_CHARS + 1))
        return self._decoder.decode(self._binary.readline(MAX_LINE_CHARS + 1))

    def _read_to_cr(self, limit: int) -> bytes:
        """The bytes up to and including the next CR, at most ``limit`` (as ``readline`` for LF)."""
        while (end := self._pending.find(b"\r", 0, limit)) < 0 and len(self._pending) < limit:
            chunk = self._binary.read(1 << 16)
            if not chunk:
                break
            self._pending += chunk
        cut = end + 1 if end >= 0 else min(limit, len(self._pending))
        line, self._pending = self._pending[:cut], self._pending[cut:]
        return line

    def close(self) -> None:
        self._binary.close()

    def position(self) -> int:
        return self._binary.tell()


class CsvSource:
    """A CSV file opened for streaming; ``header`` is read on construction, rows on iteration."""

    nothing_read = "there are no data rows below the header"

    def __init__(self, path: Path, *, encoding: str | None = None, delimiter: str | None = None) -> None:
        self.path = path
        sample = read_sample(path)
        if not sample.strip():
            raise InvalidInput("the file is empty", where=str(path))
        kind = binary_kind(sample)
        if kind:
            raise InvalidInput(f"this is {kind}, not a CSV text file", where=str(path))
        self.encoding = encoding or file_encoding(path)
        # A bare CR ends every line when the first megabyte has CRs and no LF at all.
        cr_lines = b"\r" in sample and b"\n" not in sample
        self._stream = _LineReader(path, self.encoding, cr_lines=cr_lines)
        self._size = path.stat().st_size
        self._line = 0
        self._multiline_columns: set[int] = set()  # columns seen holding real multi-line text
        self._record: list[str] = []  # the physical lines of the row being read
        try:
            self.delimiter, self.header = self._read_header(delimiter)
        except BaseException:
            self._stream.close()
            raise

    def close(self) -> None:
        self._stream.close()

    def fraction(self) -> float | None:
        return min(1.0, self._stream.position() / self._size) if self._size else None

    def _lines(self) -> Iterator[str]:
        """Physical lines, each counted; one longer than the bound stops the import."""
        while True:
            try:
                text = self._stream.readline()
            except UnicodeDecodeError as error:
                raise InvalidInput(
                    f"bytes that are not valid {self.encoding} ({error.reason})",
                    where=where(self.path, self._line + 1),
                ) from None
            if not text:
                return
            self._line += 1
            self._record.append(text)
            if len(text) > MAX_LINE_CHARS and not text.endswith(("\n", "\r")):
                raise InvalidInput(
                    f"the line is longer than {MAX_LINE_CHARS:,} characters",
                    where=where(self.path, self._line),
                )
            yield text

    def _read_header(self, delimiter: str | None) -> tuple[str, tuple[str, ...]]:
        lines = self._lines()
        for text in lines:
            stripped = text.strip().lstrip("\ufeff")
            if not stripped:
                continue
            if stripped.lower().startswith("sep=") and len(stripped) == 5:
                delimiter = delimiter or stripped[4]  # Excel's "sep=;" hint line
                continue
            chosen = delimiter or detect_delimiter(stripped)
            header_line = self._line
            try:
                cells = next(csv.reader([text.lstrip("\ufeff")], delimiter=chosen))
            except (csv.Error, StopIteration) as error:
                raise InvalidInput(
                    f"unreadable header: {error}", where=where(self.path, header_line)
                ) from None
            return chosen, check_header(cells, path=self.path, line=header_line)
        raise InvalidInput("the file is empty", where=str(self.path))

    def __iter__(self) -> Iterator[SourceRow]:
        width = len(self.header)
        reader = csv.reader(self._lines(), delimiter=self.delimiter)
        while True:
            start = self._line + 1
            self._record = []
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                if self._line == start and "field limit" in str(error):
                    # One line, one huge cell: too long, not a quote left open (that spans lines).
                    raise InvalidInput(
                        f"a cell is longer than {MAX_CELL_CHARS:,} characters", where=where(self.path, start)
                    ) from None
                raise InvalidInput(
                    f"malformed CSV ({error}); is a quote left open from line {start}?",
                    where=where(self.path, start),
                ) from None
            if not any(cell.strip() for cell in cells):
                continue
            if self._line > start:
                self._check_multiline(cells, start, width)
            yield fit_row(cells, width, path=self.path, line=start)

    def _well_formed(self, width: int) -> bool:
        """Whether the row's lines are strict CSV (every quoted field closed and followed by a delimiter or
        the line's end) with exactly ``width`` fields: a stray quote pairs with one in a later row, and what
        follows that one is not a delimiter."""
        try:
            rows = list(csv.reader(self._record, delimiter=self.delimiter, strict=True))
        except csv.Error:
            return False
        return len(rows) == 1 and len(rows[0]) == width

    def _check_multiline(self, cells: list[str], start: int, width: int) -> None:
        """A quoted field over several lines that holds whole rows (as many delimiters on a line as the
        header has) is a quote left open, unless a field of that column already spanned lines as text or
        the row is well-formed CSV of the header's width (a note holding a pasted CSV line: the export's
        own file was refused)."""
        for index, cell in enumerate(cells):
            if "\n" not in cell and "\r" not in cell:
                continue
            continuation = cell.splitlines()[1:]
            swallowed = [
                text for text in continuation if width > 1 and text.count(self.delimiter) >= width - 1
            ]
            if not swallowed:
                self._multiline_columns.add(index)
            elif index not in self._multiline_columns and not self._well_formed(width):
                raise InvalidInput(
                    f"a quoted field opens here and runs over {self._line - start + 1} lines holding "
                    f"{len(swallowed)} whole row(s); is a quote left open on line {start}?",
                    where=where(self.path, start),
                )

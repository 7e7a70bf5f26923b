"""Streaming XLSX reader (openpyxl read-only mode): the first sheet or a named one, values as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from hotline.core.errors import InvalidInput
from hotline.core.importing.encoding import read_sample
from hotline.core.importing.records import MAX_COLUMNS, SourceRow, check_header, fit_row, where

MAX_UNPACKED_BYTES = 256 << 20
"""What a workbook may unpack to in all (the import's own size limit): a small file padded to gigabytes of
sheet XML is refused before a byte of it is parsed."""
MAX_SHARED_STRINGS_BYTES = 64 << 20
"""openpyxl holds the shared strings in memory; the sheet itself is streamed."""
MAX_MEMBERS = 10_000


def cell_text(value: Any) -> str:
    """A cell value as the text a person sees: whole floats without ``.0``, dates as ISO-8601."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


_ZEROS = re.compile(r"0+")
EXACT_DIGITS = 15
"""A spreadsheet keeps a number to 15 significant digits: a longer whole number is no longer the one typed."""


def number_text(value: Any, number_format: str | None) -> tuple[str, bool]:
    """A cell's text as its number format shows a whole number (``00000000000`` keeps a phone's
    leading zero, as the sheet shows it), and whether the number can be read exactly: a fraction
    (``7.9161234567E+10`` typed short, a number divided) or a number past 15 digits cannot be a phone
    as typed."""
    text = cell_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return text, True
    if isinstance(value, float) and (not value.is_integer() or abs(value) >= 10**EXACT_DIGITS):
        return f"{value:.{EXACT_DIGITS}g}" if not value.is_integer() else text, False
    if number_format and _ZEROS.fullmatch(number_format) and value >= 0:
        text = text.zfill(len(number_format))
    return text, True


class XlsxSource:
    """One sheet of a workbook opened for streaming; the first non-empty row is the header."""

    nothing_read = "there are no data rows below the header"

    def __init__(self, path: Path, *, sheet: str | None = None) -> None:
        import openpyxl  # a heavy import, paid only when a workbook is read

        self.path = path
        self._row = 0
        self._declared_rows: int | None = None
        self._inexact: frozenset[int] = frozenset()  # the current row's numbers that cannot be read exactly
        sample = read_sample(path)
        if not sample:
            raise InvalidInput("the file is empty", where=str(path))
        if not sample.startswith(b"PK\x03\x04"):
            raise InvalidInput("this is not an XLSX workbook (no ZIP signature)", where=str(path))
        check_archive(path)
        # Opened here and handed over as a stream: given a path, openpyxl refuses a name without an Excel
        # extension ("clients", "book.dat", the "stdin" copy of `import -`) as an unsupported format.
        self._file = path.open("rb")
        try:
            self._book = openpyxl.load_workbook(self._file, read_only=True, data_only=True)
        except Exception as error:  # openpyxl reports broken files with many exception types
            self._file.close()
            raise InvalidInput(
                f"not a readable XLSX workbook ({_describe(error)})", where=str(path)
            ) from None
        try:
            self.sheet_name = self._pick_sheet(sheet)
            self._merged = check_formulas(path, self._book[self.sheet_name])
            self._rows = self._iter_values()
            self.header = self._read_header()
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._book.close()
        self._file.close()

    def fraction(self) -> float | None:
        total = self._declared_rows
        return min(1.0, self._row / total) if total else None

    def _pick_sheet(self, sheet: str | None) -> str:
        names = self._book.sheetnames
        tables = [worksheet.title for worksheet in self._book.worksheets]  # not the chart sheets
        if not tables:
            raise InvalidInput("the workbook has no sheets of cells", where=str(self.path))
        if sheet is None:  # the first one shown: a hidden first sheet (a lookup table) is no one's list
            shown = [ws.title for ws in self._book.worksheets if ws.sheet_state == "visible"]
            return (shown or tables)[0]
        found = sheet if sheet in names else None
        alike = [name for name in names if name.casefold() == sheet.casefold()]
        if (
            found is None and len(alike) == 1
        ):  # as a spreadsheet program finds it: names differ in more than case
            found = alike[0]
        if found is None:
            raise InvalidInput(
                f"no sheet named {sheet!r}; the sheets are: {', '.join(tables)}", where=str(self.path)
            )
        if found not in tables:
            raise InvalidInput(
                f"the sheet {found!r} is a chart, not a table; the sheets are: {', '.join(tables)}",
                where=str(self.path),
            )
        return found

    def _iter_values(self) -> Iterator[tuple[int, list[str]]]:
        worksheet = self._book[self.sheet_name]
        # The size a sheet declares is only its writer's word, and read-only openpyxl stops there: a
        # sheet declared 'A1' was read as its first cell. It is the progress bar's estimate, no more;
        # each row is read as wide as its last cell (``fit_row`` pads the short ones).
        self._declared_rows = worksheet.max_row
        worksheet.reset_dimensions()
        number = 0
        try:
            for number, row in enumerate(worksheet.iter_rows(), start=1):
                self._row = number
                texts, inexact = [], set()
                for index, cell in enumerate(row):
                    text, exact = number_text(cell.value, getattr(cell, "number_format", None))
                    texts.append(text)
                    if not exact:
                        inexact.add(index)
                self._inexact = frozenset(inexact)
                yield number, texts
        except Exception as error:  # zip, zlib and XML errors from a truncated or damaged sheet
            raise InvalidInput(
                f"the workbook is damaged ({_describe(error)})", where=where(self.path, number + 1)
            ) from None

    def _read_header(self) -> tuple[str, ...]:
        for number, cells in self._rows:
            if any(cell.strip() for cell in cells):
                return check_header(name_merged(cells, number, self._merged), path=self.path, line=number)
        raise InvalidInput(f"the sheet {self.sheet_name!r} is empty", where=str(self.path))

    def __iter__(self) -> Iterator[SourceRow]:
        width = len(self.header)
        for number, cells in self._rows:
            if any(cell.strip() for cell in cells):
                row = fit_row(cells, width, path=self.path, line=number)
                yield replace(row, inexact=self._inexact) if self._inexact else row


def name_merged(cells: list[str], row: int, merged: list[tuple[int, int, int, int]]) -> list[str]:
    """A header row whose cell is merged over several columns: each column of it takes the cell's text
    ('Телефоны' over two columns of phones), as the person who made the sheet sees it."""
    for first_column, first_row, last_column, last_row in merged:
        # One over the whole width is a title, not the header of a thousand columns.
        if first_row <= row <= last_row and first_column <= len(cells) and last_column <= MAX_COLUMNS:
            text = cells[first_column - 1]
            cells.extend([""] * (last_column - len(cells)))
            for index in range(first_column, last_column):
                cells[index] = cells[index] or text
    return cells


_MERGED = re.compile(rb'<mergeCell\s+ref="([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)"')
_FORMULA_CELL = re.compile(rb'<c r="([A-Z]{1,3})(\d+)"[^>]*>(?:(?!</c>).)*?<f\b', re.S)
_TEXT_RESULT = re.compile(rb'\st="str"')
_NO_VALUE = re.compile(rb"(?:</f>|<f\b[^>]*/>)\s*(?:<v\s*/>|<v>\s*</v>)?\s*</c>$")
_CELL = re.compile(rb'<c r="[A-Z]{1,3}\d+"[^>]*(?:/>|>.*?</c>)', re.S)


def check_formulas(path: Path, worksheet: Any) -> list[tuple[int, int, int, int]]:
    """Refuse a sheet with a formula cell that holds no computed value: read for its values, such a cell
    is empty, and a phone computed as ``="+7"&A2`` was imported as no phone, without a word. Programs
    that write workbooks without computing them (scripts, some exports) leave them so; a spreadsheet
    program computes and stores them when it saves. The sheet's XML is unpacked a second time for this,
    in chunks (50,000 rows: 0.03 s, beside 2.6 s for openpyxl's parse); its cells are matched only in the
    chunks that hold a formula. Returns the sheet's merged cells (first column, first row, last column,
    last row), which follow its cells and which read-only openpyxl does not read."""
    import zipfile

    from openpyxl.utils import column_index_from_string

    member = getattr(worksheet, "_worksheet_path", None)
    if not member:
        return []
    with zipfile.ZipFile(path) as archive, archive.open(member.lstrip("/")) as stream:
        carry = b""
        while chunk := stream.read(1 << 20):
            data = carry + chunk
            end = data.rfind(b"</c>")
            whole, carry = (data[: end + 4], data[end + 4 :]) if end >= 0 else (b"", data)
            if b"<f" not in whole:
                continue
            for cell in _CELL.finditer(whole):
                text = cell.group(0)
                found = _FORMULA_CELL.match(text)
                # t="str" with an empty value: the formula computed empty text, as Excel saves =IF(…;"";…).
                if found and _NO_VALUE.search(text) and not _TEXT_RESULT.search(text[: text.find(b">")]):
                    column, row = found.group(1).decode(), int(found.group(2))
                    raise InvalidInput(
                        f"cell {column}{row} is a formula with no computed value (the file was saved by a"
                        " program that does not compute formulas): open and save it in a spreadsheet"
                        " program, or save it as CSV",
                        where=where(path, row),
                    )
    return [
        (
            column_index_from_string(first.decode()),
            int(top),
            column_index_from_string(last.decode()),
            int(bottom),
        )
        for first, top, last, bottom in _MERGED.findall(carry)
    ]


def check_archive(path: Path) -> None:
    """Refuse a workbook whose parts unpack past the bounds, by the sizes its ZIP directory declares
    (Python's ZIP reader never yields more than a member declares)."""
    import zipfile

    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InvalidInput(f"not a readable XLSX workbook ({_describe(error)})", where=str(path)) from None
    if len(members) > MAX_MEMBERS:
        raise InvalidInput(f"the workbook has {len(members):,} parts; not a spreadsheet", where=str(path))
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_UNPACKED_BYTES:
        raise InvalidInput(
            f"the workbook unpacks to {unpacked / 2**20:,.0f} MB; at most {MAX_UNPACKED_BYTES >> 20} MB "
            "can be imported: split it, or save it as CSV",
            where=str(path),
        )
    strings = sum(member.file_size for member in members if member.filename.endswith("sharedStrings.xml"))
    if strings > MAX_SHARED_STRINGS_BYTES:
        raise InvalidInput(
            f"the workbook's shared strings unpack to {strings / 2**20:,.0f} MB; at most "
            f"{MAX_SHARED_STRINGS_BYTES >> 20} MB: save it as CSV",
            where=str(path),
        )


def _describe(error: BaseException) -> str:
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__

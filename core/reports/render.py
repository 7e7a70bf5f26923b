"""A report as a file: CSV (formulas neutralised), XLSX (numbers as numbers, text never a formula) or
JSON; what the command line prints or writes and what ``report send`` attaches."""

from __future__ import annotations

import csv
import io
import json
from typing import TYPE_CHECKING, Any

from hotline.core.errors import InvalidInput
from hotline.core.exporting import XLSX_ILLEGAL, XLSX_MAX_CELL_CHARS, neutralise
from hotline.core.text import json_safe

if TYPE_CHECKING:
    from hotline.core.reports.base import Report

FILE_FORMATS = ("csv", "xlsx", "json")
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


def report_bytes(report: Report, fmt: str) -> bytes:
    """The report as the bytes of a ``fmt`` file."""
    if fmt == "csv":
        return report_csv(report).encode("utf-8-sig")
    if fmt == "xlsx":
        return report_xlsx(report)
    if fmt == "json":
        # as ``--json`` prints it and the client export writes it: a control or bidi character as \uXXXX
        text = json_safe(json.dumps(report.as_json(), ensure_ascii=False, indent=2))
        return (text + "\n").encode("utf-8")
    raise InvalidInput(f"unknown format {fmt!r} (one of: {', '.join(FILE_FORMATS)})", where="--format")


def report_filename(report: Report, fmt: str) -> str:
    """``NAME_FROM_TO.EXT``, e.g. ``performance_2026-11-16_2026-11-22.xlsx``."""
    period = report.period
    span = f"_{period.first or 'start'}_{period.last or 'now'}" if period else ""
    return f"{report.name}{span}.{fmt}"


def report_csv(report: Report) -> str:
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(report.columns)
    for row in report.rows:
        writer.writerow([_csv_cell(value) for value in row])
    return stream.getvalue()


def _csv_cell(value: Any) -> str:
    """Text never starts a formula; a number is written as it is (``-100.0`` is a figure, not a formula)."""
    if value is None:
        return ""
    return neutralise(value) if isinstance(value, str) else str(value)


def report_xlsx(report: Report) -> bytes:
    """One sheet named after the report: the header, then the rows; a text cell is never a formula. A value
    longer than a cell holds is refused (``InvalidInput`` naming the cell), never cut."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(report.name[:31])
    sheet.append(list(report.columns))
    for number, row in enumerate(report.rows, start=2):
        cells: list[Any] = []
        for index, value in enumerate(row):
            if isinstance(value, str):
                text = XLSX_ILLEGAL.sub("", value)
                if len(text) > XLSX_MAX_CELL_CHARS:
                    sheet.close()  # ends openpyxl's row writer, which said "Exception ignored" at exit
                    raise InvalidInput(
                        f"{report.name} report: cell {get_column_letter(index + 1)}{number}"
                        f" ({report.columns[index]}) of {len(text):,} characters, more than an XLSX cell"
                        f" holds ({XLSX_MAX_CELL_CHARS:,}): give --format csv or json",
                        where="--format",
                    )
                cell = WriteOnlyCell(sheet, value=text)
                cell.data_type = "s"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()

"""A report's file with hostile values in its cells: too long for a spreadsheet, characters XML cannot hold,
formula signs, control characters in JSON."""

from __future__ import annotations

import pytest

from hotline.core.errors import InvalidInput
from hotline.core.reports.base import Report
from hotline.core.reports.render import report_bytes


def _report(*rows: list[object]) -> Report:
    return Report(
        name="queues", title="Queues", columns=["queue", "tickets"], rows=[list(row) for row in rows]
    )


def test_an_xlsx_cell_longer_than_a_spreadsheet_holds_is_refused_naming_it_not_cut() -> None:
    report = _report(["short", 1], ["x" * 40_000, 2])
    with pytest.raises(InvalidInput) as refused:
        report_bytes(report, "xlsx")
    assert "A3" in str(refused.value)  # the header is row 1
    assert "queue" in str(refused.value)
    assert "40,000" in str(refused.value)
    assert refused.value.where == "--format"
    assert len(report_bytes(_report(["x" * 32_767, 1]), "xlsx")) > 0  # exactly what a cell holds: written


@pytest.mark.parametrize("odd", ["\ufffe", "\uffff", "\x0b", "\x1b"])
def test_an_xlsx_with_a_character_xml_cannot_hold_still_opens(odd: str) -> None:
    import io

    from openpyxl import load_workbook

    data = report_bytes(_report([f"Sales{odd}desk", 1]), "xlsx")  # U+FFFE: a file no spreadsheet opened
    sheet = load_workbook(io.BytesIO(data))["queues"]
    assert sheet["A2"].value == "Salesdesk"

"""File names from mail made safe to show and write (issue 14 item 4): what the sender meant, nothing more."""

from __future__ import annotations

import pytest

from hotline.core.filenames import MAX_NAME_BYTES, numbered_filename, safe_filename


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("счёт № 15.pdf", "счёт № 15.pdf"),
        ("../../.bashrc", "bashrc"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("/etc/passwd", "passwd"),
        ("..", "attachment"),
        ("", "attachment"),
        ("report\x1b[31m\x07.txt", "report[31m.txt"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),
        ('a<b>c:"d|e?f*.txt', "a_b_c__d_e_f_.txt"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("nul.tar.gz", "_nul.tar.gz"),
        ("console.txt", "console.txt"),
        ("name. . .", "name"),
        ("line\nbreak.txt", "line break.txt"),
    ],
)
def test_safe_filename(name: str, safe: str) -> None:
    assert safe_filename(name) == safe


def test_a_long_name_is_shortened_keeping_its_extension_and_whole_characters() -> None:
    name = "отчёт" * 100 + ".xlsx"
    safe = safe_filename(name)
    assert safe.endswith(".xlsx")
    assert len(safe.encode("utf-8")) <= MAX_NAME_BYTES
    assert safe.startswith("отчёт")


@pytest.mark.parametrize(
    "name",
    ["report.pdf", "README", "a" * 196 + ".pdf", "я" * 98 + ".pdf", "ы" * 100, "x." + "e" * 197, "a" * 200],
)
def test_a_numbered_name_is_safe_as_it_is_and_keeps_its_number(name: str) -> None:
    """The second of two names alike at the length limit was cut back to the first when saved."""
    assert safe_filename(name) == name
    for number in (2, 10, 1000):
        numbered = numbered_filename(name, number)
        assert safe_filename(numbered) == numbered
        assert len(numbered.encode("utf-8")) <= MAX_NAME_BYTES
        assert numbered != name and f"-{number}" in numbered
    assert numbered_filename("report.pdf", 2) == "report-2.pdf"

"""strip_controls: printable text comes back as it is; control, format and separator characters become spaces."""

from __future__ import annotations

import pytest

from hotline.core.search.text import strip_controls


@pytest.mark.parametrize("value", ["Иван Петров", "ООО «Ромашка»", "o'connor & co", "👨‍👩‍👧", ""])
def test_printable_text_is_unchanged(value: str) -> None:
    cleaned = strip_controls(value)
    assert cleaned == "".join(" " if ch == "\u200d" else ch for ch in value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x1b[31mb", "a [31mb"),
        ("x\u202ey", "x y"),
        ("line\u2028next", "line next"),
        ("tab\there", "tab here"),
        ("del\x7f", "del "),
        ("nbsp\u00a0kept", "nbsp\u00a0kept"),
    ],
)
def test_controls_become_spaces(value: str, expected: str) -> None:
    assert strip_controls(value) == expected

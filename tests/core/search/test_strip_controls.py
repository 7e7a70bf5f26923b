"""strip_controls: printable text comes back as it is; control and separator characters become spaces,
invisible format characters go."""

from __future__ import annotations

import pytest

from hotline.core.search.text import strip_controls


@pytest.mark.parametrize("value", ["Иван Петров", "ООО «Ромашка»", "o'connor & co", "👨‍👩‍👧", ""])
def test_printable_text_is_unchanged(value: str) -> None:
    cleaned = strip_controls(value)
    assert cleaned == value.replace("\u200d", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("a\x1b[31mb", "a [31mb"),
        ("x\u202ey", "xy"),
        ("Яши\u00adна", "Яшина"),
        ("Mo\u200brozova", "Morozova"),
        ("line\u2028next", "line next"),
        ("tab\there", "tab here"),
        ("del\x7f", "del "),
        ("nbsp\u00a0kept", "nbsp\u00a0kept"),
    ],
)
def test_controls_become_spaces_and_format_characters_go(value: str, expected: str) -> None:
    assert strip_controls(value) == expected

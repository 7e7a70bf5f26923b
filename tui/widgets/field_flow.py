"""Labelled fields laid out in lines of a given width, a line breaking only between two fields.

A header of "label value" pairs wrapped by words cut "due late 9d 3h" across two lines at 80 columns,
and with a long name pushed the last fields out of a header of fixed height. Here each field stays
whole (one wider than a line is shortened with an ellipsis).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text

GAP = "  "


def field(label: str, value: str | Text, *, style: str = "") -> Text:
    """``label value``: the label dim, the value as plain text (never markup)."""
    text = Text(no_wrap=True)
    text.append(f"{label} ", style="dim")
    if isinstance(value, Text):
        text.append_text(value)
    else:
        text.append(value, style=style)
    return text


def flow(fields: Sequence[Text], width: int) -> list[Text]:
    """The lines that ``fields`` take at ``width`` columns (all on one line when the width is unknown)."""
    lines: list[Text] = []
    line = Text(no_wrap=True, overflow="ellipsis")
    for item in fields:
        piece = item.copy()
        if width > 0 and piece.cell_len > width:
            piece.truncate(width, overflow="ellipsis")
        if line.cell_len and width > 0 and line.cell_len + len(GAP) + piece.cell_len > width:
            lines.append(line)
            line = Text(no_wrap=True, overflow="ellipsis")
        elif line.cell_len:
            line.append(GAP)
        line.append_text(piece)
    if line.cell_len or not lines:
        lines.append(line)
    return lines


def joined(lines: Sequence[Text]) -> Text:
    """The lines as one text."""
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)

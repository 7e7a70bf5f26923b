"""The whole text of one line of a table, read-only and scrollable: a timeline's note, call or mail (the
card's table shows its first line, cut at the column's width), a change in the history of changes."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register

register(
    Command(
        id="timeline_text.close",
        key="escape,q",
        title="text: close",
        help="Close the text and go back.",
        action="dismiss",
        scope="timeline_text",
        label="Close",
        in_palette=False,
    ),
)


class TimelineTextScreen(ModalScreen[None]):
    """``text`` in full under ``title`` (its lines kept, wrapped at the width; never markup)."""

    COMMAND_SCOPE = "timeline_text"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("timeline_text")

    def __init__(self, title: str, text: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="timeline-text-box") as box:
            box.border_title = Text(printable(self.title_text))
            box.border_subtitle = "↑↓ PgUp PgDn scroll · Esc close"
            yield Static(Text(printable(self.text, multiline=True) or "(no text)"), id="timeline-text")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#timeline-text-box", VerticalScroll).focus()

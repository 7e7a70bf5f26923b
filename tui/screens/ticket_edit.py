"""A small modal that picks one value for a ticket: its status, priority, queue or assignee.

Returns the chosen value (``""`` for "nobody" when that is offered), or None when cancelled with Esc.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register

register(
    Command(
        id="choice.cancel",
        key="escape",
        title="choice: cancel",
        help="Close without changing anything.",
        action="cancel",
        scope="choice",
        label="Cancel",
    ),
)


class ChoiceScreen(ModalScreen[str | None]):
    """Pick one of ``choices`` (value, label); Enter takes the highlighted one, the current one is marked."""

    COMMAND_SCOPE = "choice"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("choice")

    def __init__(self, title: str, choices: list[tuple[str, str]], *, current: str | None = None) -> None:
        super().__init__()
        self.title_text = title
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="choice-box") as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter choose · Esc cancel"
            options = []
            for value, label in self.choices:
                text = Text(printable(label), no_wrap=True, overflow="ellipsis")
                if value == self.current:
                    text.append("  (now)", style="dim")
                options.append(Option(text, id=value or "\x00nobody"))
            yield OptionList(*options, id="choices")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.focus()
        values = [value for value, _ in self.choices]
        if self.current in values:
            options.highlighted = values.index(self.current)
        elif values:
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        value = event.option.id or ""
        self.dismiss("" if value == "\x00nobody" else value)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Which of the client's phones to dial (``d`` on a card with several): Enter dials, Esc cancels."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hotline.core.text import printable


class DialPickScreen(ModalScreen[str | None]):
    """Returns the chosen phone (E.164), or None."""

    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = [Binding("escape", "cancel", "Cancel", id="dial_pick.cancel")]

    def __init__(self, phones: list[tuple[str, str]]) -> None:
        """``phones``: (as typed, E.164) pairs."""
        super().__init__()
        self.phones = phones

    def compose(self) -> ComposeResult:
        with Vertical(id="dial-box") as box:
            box.border_title = "Dial which number?"
            yield OptionList(
                *(Option(Text(printable(raw)), id=e164) for raw, e164 in self.phones), id="dial-list"
            )

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)

"""Help: the keys of the screen it was opened from, read from the command registry."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from hotline.tui.commands import APP_SCOPE, Command, bindings_for, commands_for, register

register(
    Command(
        id="help.close",
        key="escape,q",
        title="help: close",
        help="Close the help.",
        action="dismiss",
        scope="help",
        label="Close",
        in_palette=False,
    ),
)


def keys_table(scope: str) -> Table:
    """The commands of ``scope`` and the app-wide ones: keys, what they do."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column("keys", style="bold", no_wrap=True)
    table.add_column("what", ratio=1)
    sections: list[tuple[str, list[Command]]] = []
    if scope and scope != APP_SCOPE:
        sections.append(("This screen", commands_for(scope)))
    sections.append(("Everywhere", commands_for(APP_SCOPE)))
    for heading, commands in sections:
        if not commands:
            continue
        table.add_row(Text(heading, style="underline"), "")
        for command in commands:
            table.add_row(command.key_display, Text(f"{command.title} — {command.help}"))
        table.add_row("", "")
    return table


class HelpScreen(ModalScreen[None]):
    """A modal listing the keys of the screen underneath."""

    COMMAND_SCOPE = "help"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("help")

    def __init__(self, scope: str, *, title: str = "", about: str = "") -> None:
        """``about``: a few plain lines shown above the keys (how to use the screen, e.g. a query syntax)."""
        super().__init__()
        self.scope = scope
        self.title_text = title
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "Esc to close"
            if self.about:
                yield Static(Text(self.about), id="about")
            yield Static(keys_table(self.scope), id="keys")

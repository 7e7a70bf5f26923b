"""Help: the keys of the screen it was opened from, read from the command registry."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
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


def keys_table(scope: str, parts: tuple[tuple[str, str], ...] = ()) -> Table:
    """The commands of ``scope``, of the screen's ``parts`` (heading, scope: a panel with keys of its own,
    such as the reminders list) and the app-wide ones: keys, what they do."""
    table = Table(box=None, show_header=False, expand=True, padding=(0, 1))
    table.add_column("keys", style="bold", no_wrap=True)
    table.add_column("what", ratio=1)
    sections: list[tuple[str, list[Command]]] = []
    if scope and scope != APP_SCOPE:
        sections.append(("This screen", commands_for(scope)))
    sections.extend((heading, commands_for(part)) for heading, part in parts)
    sections.append(("Everywhere", commands_for(APP_SCOPE)))
    for heading, commands in sections:
        if not commands:
            continue
        table.add_row(Text(heading, style="underline"), "")
        for command in commands:
            table.add_row(command.key_display, Text(f"{command.title} — {command.help}"))
        table.add_row("", "")
    return table


def parts_of(screen: Screen[object]) -> tuple[tuple[str, str], ...]:
    """The panels of ``screen`` whose keys are their own (a widget class with ``COMMAND_SCOPE`` and
    ``HELP_HEADING``): the reminders list on Home and on the card, where ``d`` marks done and ``h`` snoozes
    (the screen's own ``d`` dials, ``h`` shows the history)."""
    parts: list[tuple[str, str]] = []
    for widget in screen.query("*"):
        scope, heading = getattr(widget, "COMMAND_SCOPE", ""), getattr(widget, "HELP_HEADING", "")
        if scope and heading and (heading, scope) not in parts:
            parts.append((heading, scope))
    return tuple(parts)


class HelpScreen(ModalScreen[None]):
    """A modal listing the keys of the screen underneath."""

    COMMAND_SCOPE = "help"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("help")

    def __init__(
        self, scope: str, *, title: str = "", about: str = "", parts: tuple[tuple[str, str], ...] = ()
    ) -> None:
        """``about``: a few plain lines shown above the keys (how to use the screen, e.g. a query syntax);
        ``parts``: panels of the screen with keys of their own (``parts_of``)."""
        super().__init__()
        self.scope = scope
        self.parts = parts
        self.title_text = title
        self.about = about

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "Keys"
            body.border_subtitle = "Esc to close"
            if self.about:
                yield Static(Text(self.about), id="about")
            yield Static(keys_table(self.scope, self.parts), id="keys")

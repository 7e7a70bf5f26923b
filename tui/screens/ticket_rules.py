"""Why the ticket is where it is: for each event, which rules matched, which did not and why, and what
they did (the same as ``hotline rules explain``). Read in a thread worker; the text is shown as data."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import forward_worker_failure, readable_error

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

register(
    Command(
        id="ticket_rules.close",
        key="escape",
        title="rules: close",
        help="Back to the ticket.",
        action="close",
        scope="ticket_rules",
        label="Close",
    ),
)

_STYLES = {"✓": "green", "✗": "bold red", "·": "dim"}


@dataclass
class RulesExplained(Message):
    """The rules' traces of the ticket were read."""

    explained: list[Any]


class TicketRulesScreen(ModalScreen[None]):
    """What the event rules did to ticket ``number``."""

    COMMAND_SCOPE = "ticket_rules"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("ticket_rules")

    def __init__(self, ctx: ConsoleContext, number: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="rules-box") as box:
            box.border_title = f"Rules on #{self.number}"
            box.border_subtitle = "Esc close"
            yield Static(Text("Reading…", style="dim"), id="rules-text")

    def on_mount(self) -> None:
        self.query_one("#rules-box").focus()
        self._read()

    @work(thread=True, exclusive=True, exit_on_error=False, group="rules-explain")
    def _read(self) -> None:
        from hotline.core.rules.explain import explain_ticket

        with self.ctx.uow(readonly=True) as uow:
            explained = explain_ticket(uow, number=self.number)
        self.post_message(RulesExplained(explained))

    def on_rules_explained(self, message: RulesExplained) -> None:
        message.stop()
        text = Text()
        for item in message.explained:
            for index, line in enumerate(item.lines()):
                style = "bold" if index == 0 else _STYLES.get(line.strip()[:1], "")
                text.append(printable(line) + "\n", style=style)
        if not message.explained:
            text.append("No rule was evaluated on this ticket.", style="dim")
        self.query_one("#rules-text", Static).update(text)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event) and event.worker.error is not None:
            # the toast says it too; the panel said "Reading…" until closed
            said = Text(f"Not read: {printable(readable_error(event.worker.error))}", style="bold red")
            self.query_one("#rules-text", Static).update(said)

    def action_close(self) -> None:
        self.dismiss(None)

"""The base of the small forms about one client opened from the card: a note, a new ticket, a reminder.

Each is a modal with its own fields above a text body. ctrl+s saves (in a thread worker), ctrl+k inserts a
knowledge-base article into the body, Esc closes without saving; the form returns what it made (an id or
a ticket number), or None when cancelled.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import TextArea
from textual.worker import Worker

from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import forward_worker_failure
from hotline.tui.widgets.kb_insert import insert_article

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

FORM_CSS = Path(__file__).with_suffix(".tcss")
"""The frame every client form shares; each form's own stylesheet follows it in its ``CSS_PATH``."""

register(
    Command(
        id="note.save",
        key="ctrl+s",
        title="note: save",
        help="Save the note (or open the ticket).",
        action="save",
        scope="note",
        label="Save",
        priority=True,
    ),
    Command(
        id="note.insert_article",
        key="ctrl+k",
        title="note: insert a knowledge-base article",
        help="Search the knowledge base and insert the chosen article into the text.",
        action="insert_article",
        scope="note",
        label="KB article",
        priority=True,
    ),
    Command(
        id="note.cancel",
        key="escape",
        title="note: cancel",
        help="Close without saving.",
        action="cancel",
        scope="note",
        label="Cancel",
    ),
)


class ClientFormScreen(ModalScreen[int | None]):
    """A form about the client ``client_id``: the fields of ``compose_fields`` above the text body."""

    COMMAND_SCOPE = "note"
    BINDINGS: ClassVar = bindings_for("note")
    FORM_TITLE: ClassVar[str] = ""

    def __init__(self, ctx: ConsoleContext, client_id: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.client_id = client_id
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="client-form") as form:
            form.border_title = self.FORM_TITLE
            form.border_subtitle = key_hints(self)
            yield from self.compose_fields()
            yield TextArea(id="body", soft_wrap=True, show_line_numbers=False)

    def compose_fields(self) -> ComposeResult:
        """The form's own fields, above the body (none for a plain note)."""
        yield from ()

    def first_field(self) -> Widget:
        """What has focus when the form opens."""
        return self.query_one("#body", TextArea)

    def on_mount(self) -> None:
        self.first_field().focus()

    def action_insert_article(self) -> None:
        insert_article(self, self.ctx, self.query_one("#body", TextArea))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if not self._saving:
            self._saving = self.start_saving(self.query_one("#body", TextArea).text.strip())

    def start_saving(self, body: str) -> bool:
        """Check the form and start the worker that saves it; False (having said why) when it is not
        complete."""
        raise NotImplementedError

    def saved(self, notice: str, result: int) -> None:
        """The worker saved the form: say so and return ``result`` to the card."""
        self.notify(notice, markup=False, timeout=3)
        self.dismiss(result)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            self._saving = False

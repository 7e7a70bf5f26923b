"""A note on a client's timeline: the text only. Opened with ``n`` on the card."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work

from hotline.tui.messages import NoteAdded
from hotline.tui.screens.client_form import FORM_CSS, ClientFormScreen


class NoteScreen(ClientFormScreen):
    """Returns the note's interaction id, or None when cancelled."""

    CSS_PATH: ClassVar = [FORM_CSS, Path(__file__).with_suffix(".tcss")]
    FORM_TITLE = "Note"

    def start_saving(self, body: str) -> bool:
        if not body:
            self.notify("A note needs text.", severity="error")
            return False
        self._add_note(body)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_note(self, body: str) -> None:
        from hotline.core.models.enums import InteractionKind
        from hotline.core.services.interactions import log_interaction

        with self.ctx.uow() as uow:
            note = log_interaction(uow, client_id=self.client_id, kind=InteractionKind.NOTE, notes=body)
            note_id = int(note.id or 0)
        self.post_message(NoteAdded(self.client_id, note_id))

    def on_note_added(self, message: NoteAdded) -> None:
        message.stop()
        self.saved("Note saved.", message.interaction_id)

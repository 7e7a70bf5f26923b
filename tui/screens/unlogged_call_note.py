"""A note on a call the PBX recorded but nobody logged: it logs the call with the PBX's times.

Opened with ``u`` (or Enter) on an "unlogged" line of the card's timeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work

from hotline.tui.messages import NoteAdded
from hotline.tui.screens.client_form import FORM_CSS
from hotline.tui.screens.note import NoteScreen

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext


class UnloggedCallNoteScreen(NoteScreen):
    """Returns the logged call's interaction id, or None when cancelled."""

    CSS_PATH: ClassVar = [FORM_CSS, Path(__file__).with_suffix(".tcss")]
    FORM_TITLE = "Log the PBX call"

    def __init__(self, ctx: ConsoleContext, client_id: int, *, call_record_id: int) -> None:
        super().__init__(ctx, client_id)
        self.call_record_id = call_record_id

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_note(self, body: str) -> None:
        from hotline.core.services.call_records import note_unlogged_call

        with self.ctx.uow() as uow:
            call = note_unlogged_call(uow, call_record_id=self.call_record_id, notes=body)
            call_id = int(call.id or 0)
        self.post_message(NoteAdded(self.client_id, call_id))

"""The card's phone-system commands: dial the client through the PBX (``d``) and log a call the PBX
recorded that nobody logged (``u``, or Enter on its timeline line)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual import work
from textual.widgets import TabbedContent

from hotline.tui.messages import CallDialled
from hotline.tui.widgets.timeline_table import TimelineTable

if TYPE_CHECKING:
    from textual.app import App
    from textual.worker import Worker

    from hotline.tui.context import ConsoleContext


DIAL_AGAIN_SECONDS = 3.0


class CardCallActions:
    """Mixed into the client card screen (which provides ``ctx``, ``client_id``, ``card`` and ``_saved``)."""

    ctx: ConsoleContext
    client_id: int
    card: Any | None
    _dialling: Worker[None] | None = None
    _dialled_at: float = float("-inf")
    """The dial request being written, and when (``time.monotonic``): ``d`` again meanwhile or within
    ``DIAL_AGAIN_SECONDS`` (a key at zero delay, a double press) rang the operator's phone, then the
    client, twice."""

    def _dial_busy(self) -> bool:
        """A request is being written, or was written just now (a refused one may be tried again)."""
        from textual.worker import WorkerState

        worker = self._dialling
        if worker is None:
            return False
        if not worker.is_finished:
            return True
        return (
            worker.state is WorkerState.SUCCESS and time.monotonic() - self._dialled_at < DIAL_AGAIN_SECONDS
        )

    def _start_dial(self, e164: str) -> None:
        self._dialled_at = time.monotonic()
        self._dialling = self._dial(e164)

    if TYPE_CHECKING:
        app: App[Any]

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def post_message(self, message: Any) -> bool: ...
        def _saved(self, result: object) -> None: ...

    def _selected_unlogged_call(self) -> int | None:
        """The PBX call record on the selected timeline line, if it is an unlogged call."""
        if self.query_one(TabbedContent).active != "timeline":
            return None
        timeline = self.query_one(TimelineTable)
        if timeline.items and 0 <= timeline.cursor_row < len(timeline.items):
            item = timeline.items[timeline.cursor_row]
            return item.id if item.unlogged else None
        return None

    def action_note_unlogged_call(self) -> None:
        from hotline.tui.screens.unlogged_call_note import UnloggedCallNoteScreen

        call_record_id = self._selected_unlogged_call()
        if call_record_id is None:
            self.notify("Select an unlogged call on the timeline.", markup=False)
            return
        screen = UnloggedCallNoteScreen(self.ctx, self.client_id, call_record_id=call_record_id)
        self.app.push_screen(screen, self._saved)

    def action_dial_client(self) -> None:
        from hotline.tui.screens.dial_pick import DialPickScreen

        phones = [(phone.raw, phone.e164) for phone in self.card.phones] if self.card else []
        if self._dial_busy():
            self.notify("Already dialling: your phone rings first.", markup=False)
        elif not phones:
            self.notify("The client has no phone number.", markup=False)
        elif len(phones) == 1:
            self._start_dial(phones[0][1])
        else:
            self.app.push_screen(DialPickScreen(phones), self._picked)

    def _picked(self, e164: str | None) -> None:
        if e164 and not self._dial_busy():
            self._start_dial(e164)

    @work(thread=True, exclusive=True, exit_on_error=False, group="dial")
    def _dial(self, number: str) -> None:
        from hotline.core.services.call_records import request_dial

        settings = self.ctx.settings
        extension = settings.pbx.extension_of(self.ctx.operator_login)
        with self.ctx.uow() as uow:
            record = request_dial(
                uow, number=number, extension=extension, default_region=settings.default_region
            )
            dialled = CallDialled(record.number, extension or "")
        self.post_message(dialled)

    def on_call_dialled(self, message: CallDialled) -> None:
        self.notify(f"Dialling {message.number}: your phone ({message.extension}) rings first.", markup=False)

"""A note on a client's timeline, a new ticket for the client (subject, queue, priority, first note),
or a reminder about the client (when, what).

Saved with ctrl+s; Esc closes without saving.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, TextArea
from textual.worker import Worker

from hotline.core.enums import Priority
from hotline.core.services.tickets import MAX_SUBJECT
from hotline.tui.commands import Command, bindings_for, key_hints, register
from hotline.tui.messages import NoteAdded, ReminderSet, TicketOpened, forward_worker_failure
from hotline.tui.widgets.kb_insert import article_text
from hotline.tui.widgets.when_input import WhenInput

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext
    from hotline.tui.screens.kb_search import KbChoice

DEFAULT_QUEUE = "Support"
PRIORITIES = tuple((priority.value.capitalize(), priority.value) for priority in Priority)

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


class NoteScreen(ModalScreen[int | None]):
    """Returns the note's interaction id (``ticket=True``: the new ticket's number; ``reminder=True``: the
    reminder's id), or None when cancelled."""

    COMMAND_SCOPE = "note"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("note")

    def __init__(
        self, ctx: ConsoleContext, client_id: int, *, ticket: bool = False, reminder: bool = False
    ) -> None:
        super().__init__()
        self.ctx = ctx
        self.client_id = client_id
        self.ticket = ticket
        self.reminder = reminder and not ticket
        self._saving = False

    def compose(self) -> ComposeResult:
        with Vertical(id="note-form") as form:
            form.border_title = "New ticket" if self.ticket else "Reminder" if self.reminder else "Note"
            form.border_subtitle = key_hints(self)
            if self.ticket:
                with Grid(id="ticket-fields"):
                    yield Label("Subject")
                    yield Input(id="subject", max_length=MAX_SUBJECT, compact=True)
                    yield Label("Queue")
                    yield Select(
                        [(DEFAULT_QUEUE, DEFAULT_QUEUE)],
                        value=DEFAULT_QUEUE,
                        allow_blank=False,
                        id="queue",
                        compact=True,
                    )
                    yield Label("Priority")
                    yield Select(
                        PRIORITIES,
                        value=Priority.NORMAL.value,
                        allow_blank=False,
                        id="priority",
                        compact=True,
                    )
            if self.reminder:
                with Grid(id="ticket-fields"):
                    yield Label("When")
                    yield WhenInput("tomorrow", id="when")
            yield TextArea(id="body", soft_wrap=True, show_line_numbers=False)

    def on_mount(self) -> None:
        if self.ticket:
            self.query_one("#subject", Input).focus()
            self._load_queues()
        elif self.reminder:
            self.query_one("#when", WhenInput).focus()
        else:
            self.query_one("#body", TextArea).focus()

    @work(thread=True, exit_on_error=False, group="queues")
    def _load_queues(self) -> None:
        from hotline.core.services.queues import list_queues

        with self.ctx.uow(readonly=True) as uow:
            names = [queue.name for queue in list_queues(uow)]
        self.app.call_from_thread(self._show_queues, names)

    def _show_queues(self, names: list[str]) -> None:
        if names:
            select = self.query_one("#queue", Select)
            current = select.value
            select.set_options([(name, name) for name in names])
            select.value = current if current in names else names[0]

    def action_insert_article(self) -> None:
        from hotline.tui.screens.kb_search import KbSearchScreen

        def chosen(article: KbChoice | None) -> None:
            text = article_text(article)
            if text:
                area = self.query_one("#body", TextArea)
                area.insert(text)
                area.focus()

        self.app.push_screen(KbSearchScreen(self.ctx), chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_save(self) -> None:
        if self._saving:
            return
        body = self.query_one("#body", TextArea).text.strip()
        if self.ticket:
            subject = self.query_one("#subject", Input).value.strip()
            if not subject:
                self.notify("A ticket needs a subject.", severity="error")
                return
            self._saving = True
            self._open_ticket(
                subject=subject,
                queue=str(self.query_one("#queue", Select).value),
                priority=str(self.query_one("#priority", Select).value),
                body=body,
            )
        elif self.reminder:
            try:
                due_at = self.query_one("#when", WhenInput).when(
                    now=self.ctx.clock.now(), zone=self.ctx.settings.zone
                )
            except ValueError as error:
                self.notify(str(error), severity="error", markup=False)
                return
            if due_at is None or not body:
                self.notify("A reminder needs a time and a text.", severity="error")
                return
            self._saving = True
            self._add_reminder(due_at, body)
        else:
            if not body:
                self.notify("A note needs text.", severity="error")
                return
            self._saving = True
            self._add_note(body)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_note(self, body: str) -> None:
        from hotline.core.models.enums import InteractionKind
        from hotline.core.services.interactions import log_interaction

        with self.ctx.uow() as uow:
            note = log_interaction(uow, client_id=self.client_id, kind=InteractionKind.NOTE, notes=body)
            note_id = int(note.id or 0)
        self.post_message(NoteAdded(self.client_id, note_id))

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_reminder(self, due_at: datetime, text: str) -> None:
        from hotline.core.services.reminders import create_reminder

        with self.ctx.uow() as uow:
            reminder = create_reminder(uow, text=text, due_at=due_at, client_id=self.client_id)
            reminder_id = int(reminder.id or 0)
        self.post_message(ReminderSet(self.client_id, reminder_id, due_at))

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _open_ticket(self, *, subject: str, queue: str, priority: str, body: str) -> None:
        from hotline.core.models.enums import Priority
        from hotline.core.services.tickets import create_ticket

        sla = self.ctx.sla
        with self.ctx.uow() as uow:
            ticket = create_ticket(
                uow,
                subject=subject,
                queue=queue,
                priority=Priority(priority),
                client_id=self.client_id,
                body=body,
                sla=sla,
            )
            number = ticket.number
        self.post_message(TicketOpened(self.client_id, number))

    def on_note_added(self, message: NoteAdded) -> None:
        message.stop()
        self.notify("Note saved.", timeout=3)
        self.dismiss(message.interaction_id)

    def on_reminder_set(self, message: ReminderSet) -> None:
        message.stop()
        local = message.due_at.astimezone(self.ctx.settings.zone)
        self.notify(f"Reminder set for {local:%d %b %H:%M}.", markup=False, timeout=3)
        self.dismiss(message.reminder_id)

    def on_ticket_opened(self, message: TicketOpened) -> None:
        message.stop()
        self.notify(f"Ticket #{message.number} opened.", markup=False, timeout=3)
        self.dismiss(message.number)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event):
            self._saving = False

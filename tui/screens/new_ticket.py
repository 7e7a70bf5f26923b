"""A new ticket for a client: subject, queue, priority and the first note. Opened with ``t`` on the card."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Input, Label, Select

from hotline.core.enums import Priority
from hotline.core.services.tickets import MAX_SUBJECT
from hotline.tui.messages import TicketOpened
from hotline.tui.screens.client_form import FORM_CSS, ClientFormScreen
from hotline.tui.widgets.one_line_input import OneLineInput

DEFAULT_QUEUE = "Support"
PRIORITIES = tuple((priority.value.capitalize(), priority.value) for priority in Priority)
"""The priority choices (label, value), in the enum's order: low to urgent."""


class NewTicketScreen(ClientFormScreen):
    """Returns the new ticket's number, or None when cancelled."""

    CSS_PATH: ClassVar = [FORM_CSS, Path(__file__).with_suffix(".tcss")]
    FORM_TITLE = "New ticket"

    def compose_fields(self) -> ComposeResult:
        with Grid(id="ticket-fields"):
            yield Label("Subject")
            yield OneLineInput(id="subject", max_length=MAX_SUBJECT, compact=True, what="a subject")
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
                PRIORITIES, value=Priority.NORMAL.value, allow_blank=False, id="priority", compact=True
            )

    def first_field(self) -> Widget:
        return self.query_one("#subject", Input)

    def on_mount(self) -> None:
        super().on_mount()
        self._load_queues()

    @work(thread=True, exit_on_error=False, group="new-ticket-queues")
    def _load_queues(self) -> None:
        from hotline.core.services.queues import list_queues

        with self.ctx.uow(readonly=True) as uow:
            names = [queue.name for queue in list_queues(uow)]
        self.app.call_from_thread(self._show_queues, names)

    def _show_queues(self, names: list[str]) -> None:
        if names:
            select = self.query_one("#queue", Select)
            current = select.value
            select.set_options([(Text(name), name) for name in names])  # a queue's name: never markup
            select.value = current if current in names else names[0]

    def start_saving(self, body: str) -> bool:
        subject = self.query_one("#subject", Input).value.strip()
        if not subject:
            self.notify("A ticket needs a subject.", severity="error")
            return False
        self._open_ticket(
            subject=subject,
            queue=str(self.query_one("#queue", Select).value),
            priority=Priority(self.query_one("#priority", Select).value),
            body=body,
        )
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _open_ticket(self, *, subject: str, queue: str, priority: Priority, body: str) -> None:
        from hotline.core.services.tickets import create_ticket

        sla = self.ctx.sla
        with self.ctx.uow() as uow:
            ticket = create_ticket(
                uow,
                subject=subject,
                queue=queue,
                priority=priority,
                client_id=self.client_id,
                body=body,
                sla=sla,
            )
            number = ticket.number
        self.post_message(TicketOpened(self.client_id, number))

    def on_ticket_opened(self, message: TicketOpened) -> None:
        message.stop()
        self.saved(f"Ticket #{message.number} opened.", message.number)

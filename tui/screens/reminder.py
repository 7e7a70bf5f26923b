"""A reminder about a client for the operator: when (``tomorrow``, ``in 2h``, a date) and what. Opened with
``r`` on the card."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Label

from hotline.tui.messages import ReminderSet
from hotline.tui.screens.client_form import FORM_CSS, ClientFormScreen
from hotline.tui.widgets.when_input import WhenInput


class ReminderScreen(ClientFormScreen):
    """Returns the reminder's id, or None when cancelled."""

    CSS_PATH: ClassVar = [FORM_CSS, Path(__file__).with_suffix(".tcss")]
    FORM_TITLE = "Reminder"

    def compose_fields(self) -> ComposeResult:
        with Grid(id="reminder-fields"):
            yield Label("When")
            yield WhenInput("tomorrow", order=self.ctx.settings.date_order, id="when")

    def first_field(self) -> Widget:
        return self.query_one("#when", WhenInput)

    def start_saving(self, body: str) -> bool:
        try:
            due_at = self.query_one("#when", WhenInput).when(
                now=self.ctx.clock.now(), zone=self.ctx.settings.zone
            )
        except ValueError as error:
            self.notify(str(error), severity="error", markup=False)
            return False
        if due_at is None or not body:
            self.notify("A reminder needs a time and a text.", severity="error")
            return False
        self._add_reminder(due_at, body)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_reminder(self, due_at: datetime, text: str) -> None:
        from hotline.core.services.reminders import create_reminder

        with self.ctx.uow() as uow:
            reminder = create_reminder(uow, text=text, due_at=due_at, client_id=self.client_id)
            reminder_id = int(reminder.id or 0)
        self.post_message(ReminderSet(self.client_id, reminder_id, due_at))

    def on_reminder_set(self, message: ReminderSet) -> None:
        message.stop()
        local = message.due_at.astimezone(self.ctx.settings.zone)
        self.saved(f"Reminder set for {local:%d %b %H:%M}.", message.reminder_id)

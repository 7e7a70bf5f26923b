"""A reminder about a client for the operator: when (``tomorrow``, ``in 2h``, a date) and what. Opened with
``r`` on the card."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Label

from hotline.tui.messages import ReminderSet
from hotline.tui.screens.client_form import FORM_CSS, ClientFormScreen
from hotline.tui.widgets.when_input import WhenInput, future_when


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
        # Everything is checked in the worker, after the operator is: a deactivated one typing a bad
        # time is refused (and audited), not told about the time.
        self._add_reminder(self.query_one("#when", WhenInput).value, body)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _add_reminder(self, when: str, text: str) -> None:
        from hotline.core.errors import InvalidInput
        from hotline.core.services.reminders import create_reminder

        settings = self.ctx.settings
        with self.ctx.uow() as uow:
            uow.authorize("reminder.write", entity="reminder")
            try:
                due_at = future_when(when, now=uow.now(), zone=settings.zone, order=settings.date_order)
            except ValueError as error:
                raise InvalidInput(str(error)) from None
            if due_at is None or not text:
                raise InvalidInput("A reminder needs a time and a text.")
            reminder = create_reminder(uow, text=text, due_at=due_at, client_id=self.client_id)
            reminder_id = int(reminder.id or 0)
        self.post_message(ReminderSet(self.client_id, reminder_id, due_at))

    def on_reminder_set(self, message: ReminderSet) -> None:
        message.stop()
        zone = self.ctx.settings.zone
        local = message.due_at.astimezone(zone)
        # another year named: "01 Jan 10:00" hid a year typed 2037 for 2027
        shown = (
            "%d %b %H:%M" if local.year == self.ctx.clock.now().astimezone(zone).year else "%d %b %Y %H:%M"
        )
        self.saved(f"Reminder set for {local.strftime(shown)}.", message.reminder_id)

"""Pending reminders, earliest first: a toast when one falls due while the console is open (read again
at its due time, and whenever a reminder changes anywhere: ``RemindersChanged``); keys to mark done,
snooze (10 minutes, 1 hour, tomorrow morning) and open the client.

On the home screen it lists the operator's own reminders (and makes today's birthday reminders);
on a client's card (``client_id``) everyone's reminders about that client. The earliest ``PAGE`` at first;
when there are more the title says so, and the highlight reaching the last one reads the next ``PAGE``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import OpenClientRequested, forward_worker_failure
from hotline.tui.timers import long_interval, long_timer

if TYPE_CHECKING:
    from textual.timer import Timer

    from hotline.core.services.reminders import ReminderView
    from hotline.tui.context import ConsoleContext

SCOPE = "reminder_list"
REFRESH_SECONDS = 30.0
"""A full re-read this often; changes signalled by the database and due times come sooner."""
DUE_SLACK_SECONDS = 0.05
PAGE = 100
"""Reminders read at first, and added each time the highlight reaches the last one shown."""

register(
    Command(
        "reminder_list.done", "d", "reminder: done", "Mark the selected reminder done.", "done", scope=SCOPE
    ),
    Command(
        "reminder_list.snooze_10m",
        "s",
        "reminder: snooze 10 minutes",
        "Put the selected reminder off by 10 minutes.",
        "snooze('10m')",
        scope=SCOPE,
        label="+10 min",
    ),
    Command(
        "reminder_list.snooze_1h",
        "h",
        "reminder: snooze an hour",
        "Put the selected reminder off by an hour.",
        "snooze('1h')",
        scope=SCOPE,
        label="+1 h",
    ),
    Command(
        "reminder_list.snooze_tomorrow",
        "T",
        "reminder: snooze to tomorrow morning",
        "Put the selected reminder off to the start of the next business day.",
        "snooze('tomorrow')",
        scope=SCOPE,
        label="Tomorrow",
    ),
    Command(
        "reminder_list.open_client",
        "enter",
        "reminder: open the client",
        "Open the card of the client the selected reminder is about.",
        "open_client",
        scope=SCOPE,
        show=False,
        in_palette=False,
    ),
)


@dataclass
class RemindersLoaded(Message):
    """The list's reminders were read at ``now``."""

    reminders: list[ReminderView]
    now: datetime
    more: bool = False
    """Later reminders than those read exist."""


@dataclass
class ReminderChanged(Message):
    """A reminder was done or snoozed from the list (``what`` says which, for the toast)."""

    reminder_id: int
    what: str


class ReminderList(Vertical):
    """The reminders panel (home screen and the client's card)."""

    BINDINGS: ClassVar = bindings_for(SCOPE)
    COMMAND_SCOPE: ClassVar = SCOPE
    HELP_HEADING: ClassVar = "Reminders list (when it has the focus; 3 on a card)"
    DEFAULT_CSS = """
    ReminderList { height: auto; max-height: 12; }
    ReminderList > #reminder-title { height: 1; text-style: bold; }
    ReminderList > OptionList { height: auto; max-height: 10; border: none; padding: 0; }
    """

    def __init__(
        self,
        ctx: ConsoleContext,
        *,
        client_id: int | None = None,
        notify_due: bool | None = None,
        refresh_seconds: float = REFRESH_SECONDS,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.ctx = ctx
        self.client_id = client_id
        self.notify_due = client_id is None if notify_due is None else notify_due
        self.refresh_seconds = refresh_seconds
        self.reminders: list[ReminderView] = []
        self.announced: set[int] = set()
        """Reminders already shown as a toast (each falls due once per console)."""
        self._first_load = True
        self._due_timer: Timer | None = None
        self._shown_at = datetime.min
        """When the shown reminders were read (what is due is red)."""
        self.limit = PAGE
        """How many reminders are read (grows by ``PAGE`` as the highlight reaches the last one)."""
        self.more = False
        """Later reminders than those shown exist."""

    def compose(self) -> ComposeResult:
        yield Static("Reminders", id="reminder-title", markup=False)
        yield OptionList(id="reminder-options")

    def on_mount(self) -> None:
        self.reload()
        long_interval(self, self.refresh_seconds, self.reload)

    # -- reading ------------------------------------------------------------------------------------

    def reload(self) -> None:
        """Read the reminders again (in a worker)."""
        self._load(make_birthdays=self._first_load and self.client_id is None, limit=self.limit)
        self._first_load = False

    @work(thread=True, exclusive=True, exit_on_error=False, group="reminder-list")
    def _load(self, *, make_birthdays: bool, limit: int) -> None:
        from hotline.core.db import UnitOfWork
        from hotline.core.services.reminders import create_birthday_reminders, pending_reminders

        if make_birthdays:
            with UnitOfWork(self.ctx.engine, clock=self.ctx.clock, via="console") as uow:
                create_birthday_reminders(uow, zone=self.ctx.settings.zone, catch_up_days=1)
        with self.ctx.uow(readonly=True) as uow:
            views = pending_reminders(uow, client_id=self.client_id, limit=limit + 1)
            now = uow.now()
        self.post_message(RemindersLoaded(views[:limit], now, more=len(views) > limit))

    def on_reminders_loaded(self, message: RemindersLoaded) -> None:
        message.stop()
        try:
            options = self.query_one(OptionList)
        except NoMatches:
            return  # the card closed while the list was read: its children are already gone
        self.reminders = message.reminders
        self.more = message.more
        self._shown_at = message.now
        self._show(options)
        self._announce(message.now)
        self._wake_when_due(message.now)

    def _show(self, options: OptionList) -> None:
        """List ``reminders``, the highlight kept at its place (clamped)."""
        highlighted = options.highlighted
        options.clear_options()
        options.add_options(
            [Option(self._line(view, self._shown_at), id=str(view.id)) for view in self.reminders]
        )
        if self.reminders:
            options.highlighted = min(highlighted or 0, len(self.reminders) - 1)
        if self.more:
            title = f"Reminders: first {len(self.reminders)}, more below"  # fits a half of 80 columns
        else:
            title = f"Reminders ({len(self.reminders)})" if self.reminders else "Reminders: none"
        self.query_one("#reminder-title", Static).update(title)

    @on(OptionList.OptionHighlighted, "#reminder-options")
    def _near_the_end(self, event: OptionList.OptionHighlighted) -> None:
        """The last one shown highlighted and later ones exist: read the next page too."""
        if self.more and event.option_index >= len(self.reminders) - 1 and self.limit <= len(self.reminders):
            self.limit += PAGE
            self.reload()

    def _wake_when_due(self, now: datetime) -> None:
        """Read the list again the moment the next reminder falls due (not at the next half-minute)."""
        if self._due_timer is not None:
            self._due_timer.stop()
            self._due_timer = None
        upcoming = [view.due_at for view in self.reminders if view.due_at > now]
        if upcoming:
            delay = (min(upcoming) - now).total_seconds() + DUE_SLACK_SECONDS
            if delay < self.refresh_seconds:
                self._due_timer = long_timer(self, delay, self.reload)

    def _line(self, view: ReminderView, now: datetime) -> Text:
        local = view.due_at.astimezone(self.ctx.settings.zone)
        due = view.due_at <= now
        line = Text(local.strftime("%d.%m %H:%M"), style="bold red" if due else "dim")
        line.append("  ")
        line.append(printable(view.text))
        if view.client_name and self.client_id is None:
            line.append(f"  · {printable(view.client_name)}", style="dim")
        if view.ticket_number is not None:
            line.append(f"  #{view.ticket_number}", style="dim")
        if self.client_id is not None and view.operator != self.ctx.operator_login:
            line.append(f"  ({printable(view.operator)})", style="dim")
        return line

    def _announce(self, now: datetime) -> None:
        """A toast for a reminder falling due; several at once (the console starting after a night)
        make one summary toast, not a stack over half the screen."""
        if not self.notify_due:
            return
        fresh = [view for view in self.reminders if view.due_at <= now and view.id not in self.announced]
        self.announced.update(view.id for view in fresh)
        if not fresh:
            return
        first = fresh[0]
        text = printable(first.text) + (f" — {printable(first.client_name)}" if first.client_name else "")
        if len(fresh) > 1:
            text = f"{len(fresh)} reminders are due (see Reminders). First: {text}"
        self.app.notify(
            text,
            title="Reminders" if len(fresh) > 1 else "Reminder",
            markup=False,
            timeout=10,
            severity="warning",
        )

    def _selected(self) -> ReminderView | None:
        index = self.query_one(OptionList).highlighted
        if index is None or not 0 <= index < len(self.reminders):
            return None
        return self.reminders[index]

    # -- actions ------------------------------------------------------------------------------------

    def action_done(self) -> None:
        selected = self._selected()
        if selected is not None:
            self._change(selected, "done")

    def action_snooze(self, choice: str) -> None:
        selected = self._selected()
        if selected is not None:
            self._change(selected, choice)

    @work(thread=True, exit_on_error=False, group="reminder-change")
    def _change(self, view: ReminderView, what: str) -> None:
        from hotline.core.errors import PermissionDenied

        reminder_id = view.id
        try:
            self._write_change(reminder_id, what)
        except PermissionDenied as error:
            if error.rule != "owner":
                raise
            # core names the reminder by its id (the CLI's), the console by what the operator sees
            due = view.due_at.astimezone(self.ctx.settings.zone).strftime("%d.%m %H:%M")
            self.app.call_from_thread(
                self.app.notify,
                f"'{printable(view.text)}' (due {due}) is {printable(view.operator)}'s reminder: only they, "
                "a supervisor or an admin can mark it done or put it off.",
                severity="error",
                markup=False,
            )
            return
        self.post_message(ReminderChanged(reminder_id, what))

    def _write_change(self, reminder_id: int, what: str) -> None:
        from hotline.core.services.reminders import complete_reminder, reminder_calendar, snooze_reminder

        with self.ctx.uow() as uow:
            if what == "done":
                complete_reminder(uow, reminder_id=reminder_id)
            else:
                snooze_reminder(
                    uow,
                    reminder_id=reminder_id,
                    snooze=what,
                    zone=self.ctx.settings.zone,
                    calendar=reminder_calendar(self.ctx.settings),
                )

    def on_reminder_changed(self, message: ReminderChanged) -> None:
        message.stop()
        self.announced.discard(message.reminder_id)  # a snoozed reminder pops up again when due
        # Off the list at once, the highlight on the next one: a second ``d`` typed with the first (the keys
        # wait for the change, not for the re-read) marked the same reminder done again, not the next.
        self.reminders = [view for view in self.reminders if view.id != message.reminder_id]
        with contextlib.suppress(NoMatches):  # the card closed meanwhile
            self._show(self.query_one(OptionList))
        words = {
            "done": "done",
            "10m": "snoozed 10 minutes",
            "1h": "snoozed an hour",
            "tomorrow": "until tomorrow",
        }
        self.app.notify(f"Reminder {words.get(message.what, message.what)}.", markup=False, timeout=3)
        self.reload()

    def action_open_client(self) -> None:
        selected = self._selected()
        if selected is None or selected.client_id is None or self.client_id is not None:
            return
        self.post_message(OpenClientRequested(selected.client_id))

    def on_worker_state_changed(self, event: Worker[Any].StateChanged) -> None:
        forward_worker_failure(self, event)

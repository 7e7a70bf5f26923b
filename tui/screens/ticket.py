"""One ticket: its whole chronology (newest last), reply through the outbox (with attachments), note,
its attachments (save, open), and changes of status, priority, queue and assignee.

A ticket written elsewhere (an event, a change, a mail taken in) shows without a key: the console's
live thread posts ``TicketsChanged``; when it names this ticket (PostgreSQL) the screen reads it again,
when it does not say which (SQLite) the screen first compares the ticket's stamp (version, last touch,
newest line) with the one it showed. At most twice a second; the chronology stays where it was scrolled
(at the end: it follows the new lines). Not while a change of this screen is being saved, nor over a
conflict (F5 is asked for), nor under another screen (it looks again when back on top).

A reply's mail shows in the chronology as queued → sent → failed; on each pushed change of the ticket
``DeliveryWatch`` looks at its outbox state and the screen reads the ticket again when it moved. A
reply core refuses (no mail account to send it from, a file that cannot be read, over the size limit)
is said in a banner and its text and files stay a draft.

Every change carries the version this screen showed when the operator began it (pressed ``s`` or ``r``:
a reload under the open picker does not count as seen). When someone else changed the ticket meanwhile the
service refuses (``Conflict``): the screen says so, keeps any text typed as a draft, and offers to reload
(F5) — it never overwrites the other change.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from hotline.tui.coalesce import Coalescer, seen
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import OpenClientRequested, TicketsChanged, forward_worker_failure
from hotline.tui.widgets.delivery_watch import DeliveryWatch, TicketMailMoved
from hotline.tui.widgets.key_footer import KeyFooter
from hotline.tui.widgets.ticket_changes import (
    TEXTS,
    TicketChange,
    TicketChangeConflicted,
    TicketChanged,
    TicketChangeRefused,
    apply_change,
    conflict_text,
)
from hotline.tui.widgets.ticket_chronology import TicketChronology
from hotline.tui.widgets.ticket_header import TicketHeader

if TYPE_CHECKING:
    from hotline.core.services.tickets import TicketDetail
    from hotline.tui.context import ConsoleContext

COUNTDOWN_SECONDS = 5.0


def _ticket(id: str, key: str, title: str, help: str, action: str, **extra: Any) -> Command:
    return Command(id=f"ticket.{id}", key=key, title=title, help=help, action=action, scope="ticket", **extra)


register(
    _ticket(
        "reply",
        "r",
        "ticket: reply",
        "Answer the requester by email (through the outbox).",
        "reply",
        label="Reply",
    ),
    _ticket(
        "note", "n", "ticket: add a note", "Add an internal note to the chronology.", "add_note", label="Note"
    ),
    _ticket(
        "status",
        "s",
        "ticket: change status",
        "Move the ticket to another status.",
        "change_status",
        label="Status",
    ),
    _ticket(
        "priority",
        "p",
        "ticket: change priority",
        "Raise or lower the priority.",
        "change_priority",
        label="Priority",
    ),
    _ticket(
        "queue",
        "q",
        "ticket: move to a queue",
        "Move the ticket to another queue.",
        "change_queue",
        label="Queue",
    ),
    _ticket(
        "assign",
        "a",
        "ticket: assign",
        "Assign the ticket to an operator (or to nobody).",
        "assign",
        label="Assign",
    ),
    _ticket("take", "t", "ticket: take", "Assign the ticket to me.", "take", label="Take"),
    _ticket(
        "files",
        "f",
        "ticket: attachments",
        "List the ticket's attachments to save or open them.",
        "files",
        label="Files",
    ),
    _ticket(
        "rules",
        "x",
        "ticket: why (event rules)",
        "Show which event rules matched this ticket, which did not and why, and what they did.",
        "explain_rules",
        label="Rules",
        show=False,
    ),
    _ticket(
        "reload",
        "f5",
        "ticket: reload",
        "Read the ticket again (after someone else changed it).",
        "reload",
        label="Reload",
    ),
    _ticket(
        "client",
        "c",
        "ticket: client card",
        "Open the card of the ticket's client.",
        "open_client",
        label="Client",
    ),
    _ticket(
        "history",
        "h",
        "ticket: history of changes",
        "Who changed this ticket, when and from where (supervisors and admins).",
        "show_history",
        show=False,
    ),
    _ticket("back", "escape", "ticket: back", "Close the ticket.", "back", label="Back"),
)


@dataclass
class TicketLoaded(Message):
    """Ticket ``detail`` (with its chronology) was read."""

    detail: Any
    stamp: tuple[Any, ...] = ()


@dataclass
class TicketStamped(Message):
    """The ticket's stamp was read (``ticket_stamp``): the screen reads the ticket when it moved."""

    stamp: tuple[Any, ...]


@dataclass
class ChoicesLoaded(Message):
    """The values a field can take were read (queues, operators) for a picker."""

    what: str
    choices: list[tuple[str, str]]
    version: int | None = None
    """The version shown when the key was pressed (a reload while the choices are read is not seen)."""


NOT_MADE = {
    "reply": "the reply was not queued",
    "note": "the note was not saved",
    "take": "it was not taken",
    "assignee": "it was not reassigned",
    "status": "its status was not changed",
    "priority": "its priority was not changed",
    "queue": "it was not moved",
}
"""What a change asked for while the ticket was busy did not do, said in its toast."""


class TicketScreen(Screen[None]):
    """Ticket ``number`` for the console's operator."""

    COMMAND_SCOPE = "ticket"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("ticket")

    def __init__(self, ctx: ConsoleContext, number: int) -> None:
        super().__init__()
        self.ctx = ctx
        self.number = number
        self.detail: TicketDetail | None = None
        self.conflicted = False
        self.drafts: dict[str, str] = {}
        self.draft_files: tuple[Path, ...] = ()
        self._saving = False
        self._files_dir: Path | None = None
        self.stamp: tuple[Any, ...] = ()
        """The stamp of the ticket as shown (see ``ticket_stamp``)."""
        self.loads = 0
        """How many times the ticket was read and shown (what the live tests count)."""
        self._stale = False
        self._named = False
        self.live_rechecks = Coalescer(self, self._recheck)
        """Looks asked by pushed changes, a burst folded into a few."""

    @property
    def version(self) -> int | None:
        """The version this screen loaded: what every change must still find."""
        return self.detail.version if self.detail is not None else None

    def compose(self) -> ComposeResult:
        zone = self.ctx.settings.zone
        yield TicketHeader(zone=zone, id="ticket-header")
        yield Static(id="ticket-conflict")
        yield TicketChronology(zone=zone, id="chronology")
        yield DeliveryWatch(self.ctx, self.number)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.sub_title = f"#{self.number}"
        self.query_one("#ticket-conflict", Static).display = False
        self.query_one(TicketChronology).focus()
        self.set_interval(COUNTDOWN_SECONDS, self._tick)
        self.reload()

    def reload(self) -> None:
        """Read the ticket again; clears a conflict notice."""
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-load")
    def _load(self) -> None:
        from hotline.core.services.tickets import ticket_detail, ticket_stamp

        with self.ctx.uow(readonly=True) as uow:
            stamp = ticket_stamp(uow, number=self.number)
            detail = ticket_detail(uow, number=self.number)
        self.post_message(TicketLoaded(detail, stamp))

    def on_ticket_loaded(self, message: TicketLoaded) -> None:
        message.stop()
        first = self.detail is None
        self.loads += 1
        self.detail = message.detail
        self.stamp = message.stamp
        self.conflicted = False
        self.query_one("#ticket-conflict", Static).display = False
        self.query_one(TicketHeader).show(message.detail, self.ctx.clock.now())
        self.query_one(TicketChronology).show(message.detail.events, keep_scroll=not first)
        self.refresh_bindings()
        if self._stale and seen(self):  # written while this was being read or saved
            self.live_rechecks.request()

    # -- live: written elsewhere -------------------------------------------------------------------

    def on_tickets_changed(self, message: TicketsChanged) -> None:
        if message.numbers is not None and self.number not in message.numbers:
            return
        self._named = self._named or message.numbers is not None
        self._stale = True
        if seen(self):
            self.live_rechecks.request()

    def on_screen_resume(self) -> None:
        if self._stale:
            self.live_rechecks.request()

    def _recheck(self) -> None:
        """Read the ticket again if it changed (named: it did; else its stamp says)."""
        if self.detail is None or self._saving or self.conflicted:
            return  # still stale: looked at again once loaded (after the save, or F5)
        named, self._named, self._stale = self._named, False, False
        self.query_one(DeliveryWatch).poll()  # a reply's mail sent, failed or bounced
        if named:
            self.reload()
        else:
            self._read_stamp()

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-stamp")
    def _read_stamp(self) -> None:
        from hotline.core.services.tickets import ticket_stamp

        with self.ctx.uow(readonly=True) as uow:
            stamp = ticket_stamp(uow, number=self.number)
        self.post_message(TicketStamped(stamp))

    def on_ticket_stamped(self, message: TicketStamped) -> None:
        message.stop()
        if message.stamp != self.stamp and not self._saving and not self.conflicted:
            self.reload()

    def _tick(self) -> None:
        self.query_one(TicketHeader).tick(self.ctx.clock.now())

    def on_ticket_mail_moved(self, message: TicketMailMoved) -> None:
        """A reply's mail moved on (sent, failed, bounced, retried): show the chronology again."""
        message.stop()
        if not self._saving:
            self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if forward_worker_failure(self, event) and event.worker.group == "ticket-save":
            self._saving = False

    # -- saving ------------------------------------------------------------------------------------

    def _change(self, change: TicketChange, version: int | None) -> None:
        """Save ``change`` if the ticket still has ``version``: the one shown when the operator began it
        (a reload can land under an open picker or text; its change must not then pass as seen). Asked
        while the ticket is read or another change saved (a clicked key does not wait as typed ones do),
        it says so: the change is not made, a text stays as the draft."""
        if version is None or self._saving:
            kept = " Your text is kept as a draft." if change.what in TEXTS else ""
            busy = "still saving the last change" if self._saving else "still being read"
            self.notify(
                f"#{self.number} is {busy}: {NOT_MADE.get(change.what, 'the change was not made')};"
                f" try again in a moment.{kept}",
                severity="warning",
                markup=False,
            )
            return
        self._saving = True
        self._save(version, change)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-save")
    def _save(self, version: int, change: TicketChange) -> None:
        self.post_message(apply_change(self.ctx, number=self.number, expected_version=version, change=change))

    def on_ticket_changed(self, message: TicketChanged) -> None:
        message.stop()
        self._saving = False
        if self.drafts.get(message.change.what) == message.change.value:
            self.drafts.pop(message.change.what)  # not a second text written while this one was saved
        if message.change.what == "reply":
            self.draft_files = ()
        self.notify(f"#{message.number}: {message.change.describe()}.", markup=False, timeout=3)
        self.reload()

    def on_ticket_change_conflicted(self, message: TicketChangeConflicted) -> None:
        message.stop()
        self._saving = False
        self.conflicted = True
        if message.change.what in TEXTS:
            self.drafts[message.change.what] = message.change.value
        kept = " Your text is kept as a draft." if message.change.what in TEXTS else ""
        notice = Text(f"{conflict_text(message.number)}{kept} Press F5 to reload, then try again.")
        banner = self.query_one("#ticket-conflict", Static)
        banner.update(notice)
        banner.display = True
        self.notify(
            notice.plain, title="Changed by someone else", severity="warning", markup=False, timeout=8
        )

    def on_ticket_change_refused(self, message: TicketChangeRefused) -> None:
        """Core refused the change: say why; a reply's text and files stay the draft (``r`` again)."""
        message.stop()
        self._saving = False
        key = {"reply": "r", "note": "n"}.get(message.change.what)
        kept = f" Your text is kept as a draft: press {key} to edit it." if key else ""
        notice = Text(f"#{message.number}: not saved: {message.reason}.{kept}")
        banner = self.query_one("#ticket-conflict", Static)
        banner.update(notice)
        banner.display = True
        self.notify(notice.plain, title="Not saved", severity="error", markup=False, timeout=10)

    # -- commands ----------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "open_client":
            return None if self.detail is None or self.detail.client_id is None else True
        if action in {
            "reply",
            "add_note",
            "change_status",
            "change_priority",
            "change_queue",
            "assign",
            "take",
            "files",
        }:
            return None if self.detail is None else True
        return True

    def action_files(self) -> None:
        from hotline.tui.screens.ticket_files import TicketFilesScreen

        modal = TicketFilesScreen(self.ctx, self.number, save_to=self._files_dir)

        def closed(_: None) -> None:
            self._files_dir = modal.save_to

        self.app.push_screen(modal, closed)

    def action_show_history(self) -> None:
        from hotline.tui.screens.audit_history import AuditHistoryScreen

        self.app.push_screen(
            AuditHistoryScreen(
                self.ctx, entity="ticket", entity_id=str(self.number), title=f"History: ticket #{self.number}"
            )
        )

    def action_explain_rules(self) -> None:
        from hotline.tui.screens.ticket_rules import TicketRulesScreen

        self.app.push_screen(TicketRulesScreen(self.ctx, self.number))

    def action_reload(self) -> None:
        self.reload()

    def action_back(self) -> None:
        self.dismiss()

    def action_open_client(self) -> None:
        if self.detail is not None and self.detail.client_id is not None:
            self.post_message(OpenClientRequested(self.detail.client_id))

    def action_reply(self) -> None:
        self._ask_text(reply=True)

    def action_add_note(self) -> None:
        self._ask_text(reply=False)

    def _ask_text(self, *, reply: bool) -> None:
        from hotline.tui.screens.ticket_reply import TicketTextScreen

        what = "reply" if reply else "note"
        files = self.draft_files if reply else ()
        version = self.version
        modal = TicketTextScreen(
            self.ctx, self.number, reply=reply, draft=self.drafts.get(what, ""), files=files
        )

        def done(text: str | None) -> None:
            if reply:
                self.draft_files = modal.files
            if text is None:  # Esc: what is left in the field is the draft; emptied, there is none
                if modal.draft.strip():
                    self.drafts[what] = modal.draft
                else:
                    self.drafts.pop(what, None)
                return
            self.drafts[what] = text
            self._change(TicketChange(what, text, files=modal.files if reply else ()), version)

        self.app.push_screen(modal, done)

    def action_change_status(self) -> None:
        from hotline.core.enums import TicketStatus
        from hotline.core.services.tickets import statuses_after

        if self.detail is None:
            return
        current = TicketStatus(self.detail.ticket.status)
        self._choose("status", [(s.value, s.value) for s in statuses_after(current)], current.value)

    def action_change_priority(self) -> None:
        from hotline.core.enums import Priority

        if self.detail is not None:
            self._choose("priority", [(p.value, p.value) for p in Priority], self.detail.ticket.priority)

    def action_change_queue(self) -> None:
        self._load_choices("queue", self.version)

    def action_assign(self) -> None:
        self._load_choices("assignee", self.version)

    def action_take(self) -> None:
        if self.detail is not None:
            self._change(TicketChange("take", self.ctx.operator_login), self.version)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ticket-choices")
    def _load_choices(self, what: str, version: int | None) -> None:
        from hotline.core.services.operators import operator_choices
        from hotline.core.services.queues import queue_names

        with self.ctx.uow(readonly=True) as uow:
            if what == "queue":
                choices = [(name, name) for name in queue_names(uow)]
            else:
                choices = [(login, f"{name} ({login})") for login, name in operator_choices(uow)]
                choices.append(("", "nobody"))
        self.post_message(ChoicesLoaded(what, choices, version))

    def on_choices_loaded(self, message: ChoicesLoaded) -> None:
        message.stop()
        if self.detail is None:
            return
        ticket = self.detail.ticket
        current = ticket.queue if message.what == "queue" else (ticket.assignee_login or "")
        self._choose(message.what, message.choices, current, version=message.version)

    def _choose(
        self, what: str, choices: list[tuple[str, str]], current: str, *, version: int | None = None
    ) -> None:
        from hotline.tui.screens.ticket_edit import ChoiceScreen

        titles = {
            "status": "Status",
            "priority": "Priority",
            "queue": "Move to queue",
            "assignee": "Assign to",
        }

        version = self.version if version is None else version

        def chosen(value: str | None) -> None:
            if value is not None and value != current:
                self._change(TicketChange(what, value), version)

        self.app.push_screen(
            ChoiceScreen(f"{titles[what]} of #{self.number}", choices, current=current), chosen
        )

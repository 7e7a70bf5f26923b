"""Home: the lookup box (focused at start, live results), the operator's work, the status bar."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState, get_current_worker

from hotline.core.db import database_label
from hotline.tui.coalesce import Coalescer
from hotline.tui.commands import Command, bindings_for, register
from hotline.tui.messages import (
    KeysHeld,
    LookupFinished,
    NewClientRequested,
    OpenClientRequested,
    OpenTicketRequested,
    TicketsChanged,
    WorkLoaded,
    forward_worker_failure,
)
from hotline.tui.widgets.key_footer import KeyFooter
from hotline.tui.widgets.lookup_box import LookupBox
from hotline.tui.widgets.lookup_results import LookupResults
from hotline.tui.widgets.status_bar import StatusBar
from hotline.tui.widgets.work_summary import WorkSummary, WorkSummaryData

if TYPE_CHECKING:
    from hotline.tui.context import ConsoleContext

LOOKUP_LIMIT = 20

register(
    Command(
        id="home.open",
        key="enter",
        title="lookup: open the selection",
        help="Open the selected client's card or ticket; with no hit, offer a new client.",
        action="open_selection",
        scope="home",
        label="Open",
    ),
    Command(
        id="home.next",
        key="down",
        title="lookup: next result",
        help="Highlight the next result.",
        action="move_highlight(1)",
        scope="home",
        show=False,
        in_palette=False,
    ),
    Command(
        id="home.previous",
        key="up",
        title="lookup: previous result",
        help="Highlight the previous result.",
        action="move_highlight(-1)",
        scope="home",
        show=False,
        in_palette=False,
    ),
    Command(
        id="home.new_client",
        key="f4",
        title="client: new client",
        help="Create a client, prefilled from what is in the lookup box.",
        action="new_client",
        scope="home",
        label="New client",
    ),
    Command(
        id="home.clear",
        key="escape",
        title="lookup: clear",
        help="Empty the lookup box and the results.",
        action="clear_lookup",
        scope="home",
        label="Clear",
    ),
)


class HomeScreen(Screen[None]):
    """Find the caller: type a phone, a name, an email, a company or a ticket number."""

    COMMAND_SCOPE = "home"
    CSS_PATH = Path(__file__).with_suffix(".tcss")
    BINDINGS: ClassVar = bindings_for("home")
    AUTO_FOCUS = "#lookup"

    def __init__(self, ctx: ConsoleContext) -> None:
        super().__init__()
        self.ctx = ctx
        self._generation = 0
        """Bumped on every keystroke; only results of the newest generation are shown."""
        self._shown_generation = 0
        self._in_flight = False
        self._open_when_ready = False
        self.last_lookup_seconds = 0.0
        self.last_query = ""
        self._lookup_worker: Worker[None] | None = None
        """The newest lookup (the one whose answer is awaited)."""
        self._paint_results = False
        """New results are waiting for their frame (painted at once, see ``_on_idle``)."""
        self._keep_lookup = False
        """The lookup before the box was cleared; ``up`` in an empty box brings it back."""
        self._work_loaded = False
        """My tickets were read once (then read again on coming back, and on a ticket written anywhere)."""
        self.work_reloads = Coalescer(self, self._load_work)
        """My tickets read again on pushed ticket changes, a burst folded into a few."""

    def compose(self) -> ComposeResult:
        yield LookupBox(
            placeholder="Phone, name, email, company or #ticket",
            id="lookup",
            select_on_focus=False,
            what="the lookup",
        )
        yield LookupResults(id="results")
        with Horizontal(id="work"):
            yield WorkSummary(zone=self.ctx.settings.zone, id="summary")
        yield StatusBar(
            login=self.ctx.operator_login,
            database=database_label(self.ctx.engine.url),
            clock=self.ctx.clock,
            zone=self.ctx.settings.zone,
            id="status",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        # After the first frame, so the lookup box is usable at once: the reminders panel's first load
        # (birthdays, business calendar) costs about as much CPU as painting the whole screen.
        self.call_after_refresh(self._after_first_frame)

    def _after_first_frame(self) -> None:
        from hotline.tui.widgets.reminder_list import ReminderList

        self._load_work()
        self.query_one("#work", Horizontal).mount(ReminderList(self.ctx, id="reminders"))

    def on_screen_suspend(self) -> None:
        from textual.command import CommandPalette

        from hotline.tui.screens.help import HelpScreen
        from hotline.tui.screens.kb_search import KbSearchScreen

        over = self.app.screen
        self._keep_lookup = isinstance(over, (HelpScreen, KbSearchScreen, CommandPalette))

    def on_screen_resume(self) -> None:
        lookup = self.query_one("#lookup", Input)
        if lookup.value.strip() and not self._keep_lookup:
            # back from a card, a ticket or a form: the next caller starts from an empty box
            self.last_query = lookup.value
            lookup.value = ""
        lookup.focus()
        # Not only after a lookup: F3 first thing, t, Esc. Not when the lock uncovered Home on its way to
        # the lock screen: that read was refused ("this console is locked"), a failed worker.
        if self.is_mounted and self._work_loaded and getattr(self.app, "locked", None) is None:
            self._load_work()

    def on_tickets_changed(self, message: TicketsChanged) -> None:
        """A ticket written anywhere (assigned to me by a supervisor, say): my tickets read again while
        Home is on top (under another screen: when back, above)."""
        if self._work_loaded and self.app.screen is self:
            self.work_reloads.request()

    # -- lookup ------------------------------------------------------------------------------------

    @on(Input.Changed, "#lookup")
    def _typed(self, event: Input.Changed) -> None:
        self._generation += 1
        self._set_open_when_ready(False)
        if not event.value.strip():
            self._shown_generation = self._generation
            self.query_one(LookupResults).show_hits([])
            return
        if not self._in_flight:
            self._start_lookup()

    def _start_lookup(self) -> None:
        self._in_flight = True
        self._lookup_worker = self._run_lookup(self._generation, self.query_one("#lookup", Input).value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="lookup")
    def _run_lookup(self, generation: int, query: str) -> None:
        from hotline.core.search import lookup

        started = time.perf_counter()
        with self.ctx.uow(readonly=True) as uow:
            hits = lookup(
                uow.session, query, limit=LOOKUP_LIMIT, default_region=self.ctx.settings.default_region
            )
        if not get_current_worker().is_cancelled:
            self.post_message(LookupFinished(generation, query, hits, time.perf_counter() - started))

    def on_lookup_finished(self, message: LookupFinished) -> None:
        self._in_flight = False
        self.last_lookup_seconds = message.seconds
        if message.generation != self._generation:
            if self.query_one("#lookup", Input).value.strip():
                self._start_lookup()
            return
        self._shown_generation = message.generation
        self.query_one(LookupResults).show_hits(message.hits)
        self._paint_results = True
        if self._open_when_ready:
            self._set_open_when_ready(False)
            self.action_open_selection()

    async def _on_idle(self, event: events.Idle) -> None:
        """Put new results on the terminal the moment the list has asked for its repaint.

        Textual paints at most 60 frames a second on a fixed grid, so results that come a few
        milliseconds after the frame that echoed the keystroke would wait up to 17 ms for the next tick:
        a fifth of the keystroke's budget, spent idle. This does the tick's own work (layout if asked,
        then the dirty widgets) now, once per shown lookup; the tick stays paused until something else
        asks for a frame. Screen's own ``_on_idle`` runs next (Textual calls each class's handler).
        (textual is pinned, ==8.2.8: ``_on_timer_update`` is the screen's update-timer callback.)
        """
        if self._paint_results and self._dirty_widgets and self.is_current and not self.app._batch_count:
            self._paint_results = False
            self._on_timer_update()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if (
            event.worker.group == "lookup"
            and event.state in (WorkerState.ERROR, WorkerState.CANCELLED)
            and event.worker is self._lookup_worker
        ):
            # Only the newest lookup's end counts: an older one cancelled when its successor started
            # (it had posted its answer, but its thread had not returned yet) must not let go of the
            # hold the newer one keeps for the card that Enter will open.
            self._lookup_worker = None
            self._in_flight = False
            self._set_open_when_ready(False)
        forward_worker_failure(self, event)

    # -- commands ----------------------------------------------------------------------------------

    @on(Input.Submitted, "#lookup")
    def _submitted(self) -> None:
        self.action_open_selection()

    @on(LookupResults.OptionSelected)
    def _clicked(self, event: LookupResults.OptionSelected) -> None:
        self.query_one(LookupResults).highlighted = event.option_index
        self.action_open_selection()

    def keys_await(self) -> bool:
        """A lookup is under way or its results are not shown yet (the type-ahead valve waits for them)."""
        return self._shown_generation != self._generation

    def action_open_selection(self) -> None:
        typed = self.query_one("#lookup", Input).value.strip()
        if not typed:
            return
        if self._shown_generation != self._generation:
            self._set_open_when_ready(True)
            return
        hit = self.query_one(LookupResults).selected_hit
        if hit is None:
            self.notify("No client found: a new one, prefilled from what you typed.", markup=False)
            self.post_message(NewClientRequested(typed))
        elif hit.kind == "ticket":
            self.post_message(OpenTicketRequested(hit.id))
        else:
            self.post_message(OpenClientRequested(hit.id))

    def _set_open_when_ready(self, wanted: bool) -> None:
        """Enter before the results: open the selection when they come, and hold what is typed next
        (it is meant for the card that will open, not for the lookup box)."""
        if wanted != self._open_when_ready:
            self._open_when_ready = wanted
            self.post_message(KeysHeld(self, wanted))

    def action_move_highlight(self, step: int) -> None:
        lookup = self.query_one("#lookup", Input)
        if step < 0 and not lookup.value and self.last_query:
            lookup.value = self.last_query
            lookup.cursor_position = len(lookup.value)
            return
        results = self.query_one(LookupResults)
        if results.option_count:
            current = results.highlighted if results.highlighted is not None else -step
            results.highlighted = max(0, min(results.option_count - 1, current + step))

    def action_new_client(self) -> None:
        self.post_message(NewClientRequested(self.query_one("#lookup", Input).value.strip()))

    def action_clear_lookup(self) -> None:
        self.query_one("#lookup", Input).value = ""

    # -- the operator's work -----------------------------------------------------------------------

    @work(thread=True, exclusive=True, exit_on_error=False, group="work")
    def _load_work(self) -> None:
        from hotline.core.models.enums import OPEN_STATUSES
        from hotline.core.services.tickets import list_tickets

        with self.ctx.uow(readonly=True) as uow:
            operator = uow.actor
            role = operator.role if operator else ""
            name = operator.display_name if operator else self.ctx.operator_login
            mine = [
                ticket
                for status in OPEN_STATUSES
                for ticket in list_tickets(uow, status=status, assignee_login=self.ctx.operator_login)
            ]
        now = self.ctx.clock.now()
        lines = sorted(mine, key=lambda ticket: (ticket.due_at is None, ticket.due_at or now, ticket.number))
        data = WorkSummaryData(
            open_count=len(lines),
            overdue_count=sum(1 for line in lines if line.due_at is not None and line.due_at <= now),
            next_tickets=lines[:5],
        )
        self.post_message(WorkLoaded(f"{self.ctx.operator_login} · {name}", role, data))

    def on_work_loaded(self, message: WorkLoaded) -> None:
        status = self.query_one(StatusBar)
        status.operator = message.operator
        status.role = message.role
        self.query_one(WorkSummary).show(message.summary, self.ctx.clock.now())
        self._work_loaded = True

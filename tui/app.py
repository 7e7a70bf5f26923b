"""The console application: composes the home screen, routes app-wide commands, shows screen pops.

``make_app`` is the factory the CLI and the tests call; nothing here touches the database on the UI loop.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.await_complete import AwaitComplete
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.worker import Worker

from hotline.core.text import printable
from hotline.tui.commands import CommandsProvider, bindings_for, scope_of
from hotline.tui.context import ConsoleContext
from hotline.tui.messages import (
    CardLoaded,
    ConsoleLocked,
    KeysHeld,
    NewClientRequested,
    OpenClientRequested,
    OpenTicketRequested,
    RemindersChanged,
    ScreenPopRequested,
    TicketsChanged,
    WorkerFailed,
    forward_worker_failure,
    readable_error,
)
from hotline.tui.type_ahead import TypeAhead

if TYPE_CHECKING:
    from hotline.core.clock import Clock
    from hotline.core.db import Engine
    from hotline.core.settings import Settings
    from hotline.core.sla.policy import SlaSetup
    from hotline.tui.live import LiveUpdates


class HotlineApp(App[None]):
    """The operator console."""

    TITLE = "hotline"
    CSS_PATH: ClassVar = ["app.tcss", Path(__file__).parent / "screens" / "client_card.tcss"]
    """The card's rules too (the path as the card names it): read with the app's, so the first screen
    pop does not parse every rule again."""
    BINDINGS: ClassVar = bindings_for("app")
    COMMANDS: ClassVar = {CommandsProvider}

    def __init__(self, ctx: ConsoleContext, *, poll_screen_pops: bool = True) -> None:
        super().__init__()
        self.ctx = ctx
        self._poll_screen_pops = poll_screen_pops
        self.live: LiveUpdates | None = None
        """The thread that brings screen pops and reminder changes (None: not watching, as in most tests)."""
        self.type_ahead = TypeAhead(self, super().on_event)
        self.locked: str | None = None
        """Why the console is locked (its operator deactivated), or None: see :meth:`lock`."""

    async def on_event(self, event: events.Event) -> None:
        """Keys and pastes from the terminal go through the type-ahead gate, in order. A paste loses its
        escape sequences and other control characters (newlines and tabs stay): a field draws its text
        as it is, so a pasted screen clear or clipboard write reached the terminal, and was saved."""
        if isinstance(event, events.Paste) and not event.is_forwarded:
            event.text = printable(event.text, multiline=True)
        if self.type_ahead.wants(event):
            await self.type_ahead.take(event)
        else:
            await super().on_event(event)

    def on_keys_held(self, message: KeysHeld) -> None:
        self.type_ahead.hold(message.holder, message.held)

    def on_mount(self) -> None:
        from hotline.tui.screens.home import HomeScreen

        self.push_screen(HomeScreen(self.ctx))
        from hotline.tui.type_ahead import TICK_SECONDS

        self.set_interval(TICK_SECONDS, self.type_ahead.tick)
        if self._poll_screen_pops:
            from hotline.tui.live import LiveUpdates

            self.live = LiveUpdates(self, self.ctx)
            # After the first frame: its first look imports the ORM, which would compete with painting.
            self.call_after_refresh(self.live.start)

    def on_unmount(self) -> None:
        if self.live is not None:
            self.live.stop()

    # -- the lock: an operator deactivated while her console is open --------------------------------

    def lock(self, reason: str) -> None:
        """Cover everything with the lock screen; from now on the console reads nothing: no unit of work
        starts (``ConsoleContext.locked``), every worker is cancelled and the screens it would answer are
        closed (what they post is dropped), no screen opens but the lock, no call pops, only quitting."""
        if self.locked is not None:
            return
        from hotline.tui.screens.locked import LockedScreen

        self.locked = reason
        self.ctx.locked.set()
        if self.live is not None:
            self.live.halt()
        self.workers.cancel_all()
        self.clear_notifications()
        while len(self.screen_stack) > 1:
            super().pop_screen()
        super().push_screen(LockedScreen(reason))

    def on_console_locked(self, message: ConsoleLocked) -> None:
        self.lock(message.reason)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.locked is None or action == "quit"

    def push_screen(self, screen: Screen[Any] | str, *args: Any, **kwargs: Any) -> Any:
        """As Textual's, but once locked only the lock screen is shown."""
        from hotline.tui.screens.locked import LockedScreen

        if self.locked is not None and not isinstance(screen, LockedScreen):
            return AwaitMount(self.screen, [])
        return super().push_screen(screen, *args, **kwargs)

    def pop_screen(self) -> AwaitComplete:
        """As Textual's, but the lock screen stays (a form's late ``dismiss`` cannot uncover the console)."""
        if self.locked is not None:
            return AwaitComplete()
        return super().pop_screen()

    # -- app-wide commands -------------------------------------------------------------------------

    def action_show_help(self) -> None:
        from hotline.tui.screens.help import HelpScreen, parts_of

        if not isinstance(self.screen, HelpScreen):
            screen = self.screen
            self.push_screen(
                HelpScreen(scope_of(screen), title=screen.__class__.__name__, parts=parts_of(screen))
            )

    def action_go_home(self) -> None:
        while len(self.screen_stack) > 2:
            self.pop_screen()

    def action_open_queues(self) -> None:
        from hotline.tui.screens.queues import QueuesScreen

        if not isinstance(self.screen, QueuesScreen):
            self.push_screen(QueuesScreen(self.ctx))

    def action_open_wallboard(self) -> None:
        from hotline.tui.screens.wallboard import WallboardScreen

        if not isinstance(self.screen, WallboardScreen):
            self.push_screen(WallboardScreen(self.ctx))

    def action_open_client_list(self) -> None:
        from hotline.tui.screens.client_list import ClientListScreen

        if not isinstance(self.screen, ClientListScreen):
            self.push_screen(ClientListScreen(self.ctx))

    def action_open_kb(self) -> None:
        """The knowledge-base panel for reading, over whatever is on screen (a call form included)."""
        from hotline.tui.screens.kb_search import open_kb_search

        open_kb_search(self, self.ctx)

    # -- navigation: screens ask by message, the app owns the stack ------------------------------------

    def on_open_client_requested(self, message: OpenClientRequested) -> None:
        self.open_client(message.client_id, call_started_at=message.call_started_at)

    def on_open_ticket_requested(self, message: OpenTicketRequested) -> None:
        self.open_ticket(message.number)

    def on_new_client_requested(self, message: NewClientRequested) -> None:
        self.open_new_client(message.typed, call_started_at=message.call_started_at, caller=message.caller)

    def open_ticket(self, number: int) -> None:
        """Show a ticket, unless it is on top already (a key pressed twice before the first push)."""
        from hotline.tui.screens.ticket import TicketScreen

        if not (isinstance(self.screen, TicketScreen) and self.screen.number == number):
            self.push_screen(TicketScreen(self.ctx, number))

    def open_client(
        self,
        client_id: int,
        *,
        call_started_at: datetime | None = None,
        campaign: str | None = None,
        loaded: CardLoaded | None = None,
    ) -> None:
        """Show a client's card; ``call_started_at`` runs a call timer on it (a screen pop). A card already
        on top for that client is not opened again, unless a call starts."""
        from hotline.tui.screens.client_card import ClientCardScreen

        on_top = isinstance(self.screen, ClientCardScreen) and self.screen.client_id == client_id
        if call_started_at is not None or not on_top:
            self.push_screen(
                ClientCardScreen(
                    self.ctx, client_id, call_started_at=call_started_at, campaign=campaign, loaded=loaded
                )
            )

    def open_new_client(
        self,
        typed: str,
        *,
        call_started_at: datetime | None = None,
        campaign: str | None = None,
        caller: bool = False,
    ) -> None:
        """The new-client form prefilled from what was typed (digits → phone, words → name; ``caller``:
        a caller's number, always the phone) and, after a screen pop, with the campaign of the number
        dialled."""
        from hotline.core.attribution import Attribution
        from hotline.tui.screens.new_client import NewClientScreen

        def opened(client_id: int | None) -> None:
            if client_id is not None:
                self.open_client(client_id, call_started_at=call_started_at, campaign=campaign)

        known = self.ctx.settings.attributions.campaign(campaign) if campaign else None
        attribution = Attribution(known.source, known.code) if known else None
        if call_started_at is not None or not isinstance(self.screen, NewClientScreen):
            screen = NewClientScreen(self.ctx, typed=typed, attribution=attribution, caller=caller)
            self.push_screen(screen, opened)

    # -- live updates: screen pops, reminders, tickets ------------------------------------------

    def on_screen_pop_requested(self, message: ScreenPopRequested) -> None:
        """A live call: the card (or the new-client form) with the call timer running from the ring."""
        if self.locked is not None:
            return
        self.bell()
        now = self.ctx.clock.now()
        started = min(message.requested_at, now)  # a phone system whose clock runs ahead starts now

        def show() -> None:
            if message.client_id is None:
                self.open_new_client(
                    message.number, call_started_at=started, campaign=message.campaign, caller=True
                )
            elif message.owners:  # a number several clients share: whose card, organisation first
                from hotline.tui.screens.whose_card import offer_owners

                offer_owners(self, message, started)
            else:
                self.open_client(
                    message.client_id, call_started_at=started, campaign=message.campaign, loaded=message.card
                )

        # Keys typed before the ring (still waiting for their screen) go first, those after it to the card.
        self.type_ahead.in_order(show, rang_at=message.time)
        if message.client_id is None:
            # after: the toast's message in the app's queue would hold the form until it was handled
            self.notify(f"Incoming call from an unknown number: {printable(message.number)}", markup=False)

    def on_reminders_changed(self, message: RemindersChanged) -> None:
        if self.locked is not None:
            return
        from hotline.tui.widgets.reminder_list import ReminderList

        for screen in self.screen_stack:
            for panel in screen.query(ReminderList):
                panel.reload()

    def on_tickets_changed(self, message: TicketsChanged) -> None:
        """Every open screen hears of it (the queue and ticket screens read again; the rest ignore it)."""
        if self.locked is not None:
            return
        for screen in self.screen_stack:
            screen.post_message(TicketsChanged(message.numbers))

    def action_open_missed_calls(self) -> None:
        from hotline.tui.screens.missed_calls import MissedCallsScreen

        if not isinstance(self.screen, MissedCallsScreen):
            self.push_screen(MissedCallsScreen(self.ctx))

    # -- the one handler for failed workers --------------------------------------------------------

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        forward_worker_failure(self, event)

    def on_worker_failed(self, message: WorkerFailed) -> None:
        from hotline.core.db import is_permission_denied

        if self.locked is not None:
            return  # what was under way when the console locked
        if is_permission_denied(message.error):  # PostgreSQL revoked her groups before the signal came
            from hotline.tui.screens.locked import REFUSED

            self.lock(REFUSED)
            return
        self.notify(readable_error(message.error), title="Error", severity="error", markup=False, timeout=8)


def make_app(
    *,
    settings: Settings,
    engine: Engine,
    operator_login: str,
    clock: Clock,
    sla: SlaSetup | None = None,
    poll_screen_pops: bool = True,
) -> HotlineApp:
    """The console for ``operator_login`` on ``engine`` (tests pass their own settings and clock);
    ``sla`` is the set-up the caller already built from ``settings`` (else it is built here)."""
    from hotline.core.rules.book import RuleBook
    from hotline.core.sla.policy import SlaSetup

    sla = sla if sla is not None else SlaSetup.from_settings(settings)
    ctx = ConsoleContext(
        engine=engine,
        settings=settings,
        operator_login=operator_login,
        clock=clock,
        sla=sla,
        rules=RuleBook.from_settings(settings, sla=sla),
    )
    return HotlineApp(ctx, poll_screen_pops=poll_screen_pops)

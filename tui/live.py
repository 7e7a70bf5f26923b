"""The console's live updates: one thread that waits for changes (LISTEN/NOTIFY on PostgreSQL, the change
counter on SQLite) and turns them into messages for the app: this operator's screen pops, reminders,
tickets written (the queue and ticket screens read again).

A plain daemon thread rather than a Textual worker: it runs as long as the console does, and
``workers.wait_for_complete`` (which tests use to settle) must not wait for it.
"""

from __future__ import annotations

import gc
import os
import socket
import threading
import time
from datetime import datetime
from typing import TYPE_CHECKING

from hotline.tui import pop_trace
from hotline.tui.messages import (
    ConsoleLocked,
    RemindersChanged,
    ScreenPopRequested,
    TicketsChanged,
    WorkerFailed,
    read_card_in,
)

if TYPE_CHECKING:
    from textual.app import App

    from hotline.tui.context import ConsoleContext

WAIT_SECONDS = 0.25
"""How long one wait for a change lasts: also how soon the thread notices it should stop."""
RECHECK_SECONDS = 10.0
"""Screen pops and the console's own operator are looked at this often even without a signal (a lost
notification costs no call, and keeps no deactivated operator's console open)."""
FAILURE_PAUSE_SECONDS = 1.0


def console_label(started_at: datetime) -> str:
    """How ``call incoming --wait`` names this console: host, process and the time it started."""
    return f"{socket.gethostname()} pid {os.getpid()} (started {started_at:%H:%M:%S} UTC)"


WARM_UP_MODULES = (
    "hotline.tui.screens.client_card",
    # what the home screen looks at as a screen covers it
    "hotline.tui.screens.help",
    "hotline.tui.screens.kb_search",
    "textual.command",
)


def warm_up_screen_pop() -> None:
    """Import what showing a caller's card needs, once the console is idle after its start: the first
    ring does not pay for it (tens of milliseconds, several times that on a loaded machine)."""
    import importlib

    for module in WARM_UP_MODULES:
        importlib.import_module(module)


_frozen = False


def freeze_start_up_heap() -> None:
    """Leave what the start-up built out of every later garbage collection.

    A started console holds some 130,000 objects (modules, the ORM's and Textual's set-up, the home
    screen), nearly all for good. A full collection walks them all (a tenth of a second on a quiet
    machine, several tenths on a busy one), and showing a card makes enough objects to set one off about
    every other ring: the slowest rings were those. Collected once here, while idle, then frozen
    (``gc.freeze``): later full collections walk only what was made since. Once per process (a test
    session runs many consoles)."""
    global _frozen
    if _frozen:
        return
    _frozen = True
    gc.collect()
    gc.freeze()


class LiveUpdates:
    """Started by the app when it mounts, stopped when it unmounts."""

    def __init__(self, app: App[None], ctx: ConsoleContext) -> None:
        self.app = app
        self.ctx = ctx
        self.started_at = ctx.clock.now()
        self.label = console_label(self.started_at)
        self.shown: set[int] = set()
        """Pops this console showed (each console keeps its own: all of an operator's consoles ring)."""
        self.role: str | None = None
        """The operator's role when the console first looked (another one later locks the console)."""
        self.watching = threading.Event()
        """Set once the thread listens: a change committed after that is never missed."""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="hotline-live-updates", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def halt(self) -> None:
        """Stop at the next wait, without waiting for it (the console locked: called on the UI loop)."""
        self._stop.set()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        from hotline.core.changes import CHANNELS
        from hotline.core.relay import open_watcher

        pop_trace.watch_collections()
        watcher = None
        failing = False
        warm = False
        last_check = 0.0
        while not self._stop.is_set():
            try:
                if watcher is None:
                    # The host's relay when it answers (PostgreSQL), else a LISTEN of its own.
                    watcher = open_watcher(self.ctx.engine, self.ctx.settings)
                    self.watching.set()
                    # At start the panels read their reminders as they mount; after a failure, anything
                    # may have changed meanwhile.
                    changed = set(CHANNELS) if failing else {"screen_pop", "operator"}
                else:
                    changed = watcher.wait(WAIT_SECONDS)
                    if not changed and not warm:
                        warm = True
                        warm_up_screen_pop()
                        freeze_start_up_heap()
                due = time.monotonic() - last_check > RECHECK_SECONDS
                if due:
                    last_check = time.monotonic()
                # Who the console is, first: a deactivated operator's console takes no pop.
                if ("operator" in changed or due) and self._lock_if_refused(self._operator_changed()):
                    break
                if "screen_pop" in changed:
                    pop_trace.mark("woke")
                if "screen_pop" in changed or due:
                    self._take_screen_pops()
                if "reminder" in changed:
                    self.app.post_message(RemindersChanged())
                if "ticket" in changed:
                    self.app.post_message(TicketsChanged(watcher.ids("ticket")))
                failing = False
            except Exception as error:
                from hotline.core.db import is_permission_denied
                from hotline.tui.screens.locked import REFUSED

                if is_permission_denied(error) and self._lock_if_refused(REFUSED):
                    break  # PostgreSQL revoked the role's groups before the signal came
                if not failing:
                    self.app.post_message(WorkerFailed(error, "live updates"))
                failing = True
                if watcher is not None:
                    watcher.close()
                    watcher = None
                self._stop.wait(FAILURE_PAUSE_SECONDS)
        if watcher is not None:
            watcher.close()

    def _lock_if_refused(self, reason: str | None) -> bool:
        """Lock the console for ``reason`` (None: nothing to lock for) and stop watching; whether it did."""
        if reason is None:
            return False
        self._stop.set()
        self.app.post_message(ConsoleLocked(reason))
        return True

    def _operator_changed(self) -> str | None:
        """Why the console must lock, if its operator was deactivated or given another role; else None."""
        from hotline.core.services.operators import operator_standing
        from hotline.tui.screens.locked import DEACTIVATED, role_changed

        with self.ctx.uow(readonly=True) as uow:
            found = operator_standing(uow, login=self.ctx.operator_login)
        if found is None or not found[1]:
            return DEACTIVATED
        role = found[0]
        if self.role is None:
            self.role = role
        elif role != self.role:
            return role_changed(role)
        return None

    def _take_screen_pops(self) -> None:
        """Show this operator's live pops not shown here yet; find each caller by phone."""
        from hotline.core.services.screen_pop import callers_of, live_screen_pops, take_screen_pops
        from hotline.tui.screens.whose_card import number_owners

        settings = self.ctx.settings
        found = {
            "operator_login": self.ctx.operator_login,
            "max_age_seconds": settings.screen_pop_max_age_seconds,
            "shown": self.shown,
            "console_started_at": self.started_at,
        }
        # On SQLite a read-only look first: its one write lock only when a pop waits. PostgreSQL has no
        # such lock; the look would cost a transaction more before the card.
        if self.ctx.engine.dialect.name != "postgresql":
            with self.ctx.uow(readonly=True) as uow:
                if not live_screen_pops(uow, **found):
                    return
        with self.ctx.uow() as uow:
            pops = live_screen_pops(uow, **found)
            take_screen_pops(uow, pop_ids=[int(pop.id or 0) for pop in pops], console=self.label)
            requests = []
            for pop in pops:
                callers = callers_of(uow, number=pop.number, default_region=settings.default_region)
                caller = callers[0] if callers else None
                requests.append(
                    ScreenPopRequested(
                        pop.number,
                        caller.id if caller else None,
                        pop.requested_at,
                        campaign=pop.campaign,
                        owners=number_owners(uow, callers),
                        # read with the pop, so the card shows at once
                        card=read_card_in(uow, caller.id) if caller is not None and caller.id else None,
                    )
                )
        self.shown.update(int(pop.id or 0) for pop in pops)
        pop_trace.mark("read", str(len(requests)))
        for request in requests:
            if not self._stop.is_set():
                self.app.post_message(request)
                pop_trace.mark("posted")

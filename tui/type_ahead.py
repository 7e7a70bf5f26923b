"""Type-ahead: keys typed while the console is busy wait, in order, for the field that will take them.

Textual routes a key in stages through message queues: the app forwards it to the focused widget, the
widget passes what it does not handle up to its parents and back to the app, and only then do the
non-priority bindings run (Tab, F4, Enter). Keys typed together are all forwarded before the first
one's binding has run, so they land in the old field or screen ("Test Tabname" Tab "+7999…" all in one
field); a priority key (ctrl+s) runs before the characters still queued in front of it.

The gate forwards one key (or paste) at a time, and the next only once the console has settled: every
message the previous key caused handled (its bindings, the screen it pushed composed and focused, the
screen it closed gone), no save in flight (``KEY_HOLDING_WORKER_GROUPS``), no screen holding keys
(``KeysHeld``: the lookup waiting for its results to open the caller's card).

A screen pop that rings while keys are waiting opens its card in the queue's order (``in_order``): after
the keys typed before the ring, before those typed after it; with none waiting, once the console has
settled (a form being saved closes the top screen, whichever it is; an Esc still on its way to its
binding closes the card on top). A console where no key has gone through for
``STUCK_AFTER_SECONDS`` while nothing the keys wait for was under way (only a widget that stays busy)
lets the next key through rather than hold them for ever. Work the keys wait for is waited for however
long it takes, including the steps between workers on a starved machine (a lookup's end, the card it
opens, a screen holding the keys): letting keys go past it sent them to the wrong screen (a call's note
into the lookup box, the call never saved).

Keys wait, so what a key does may happen seconds after it was pressed. ``pressed_at`` says when the key
whose binding runs now was read from the terminal (Textual stamps every message with the time it was
made, ``Message.time``; the driver makes a key's event as it reads the key): a call saved with ctrl+s
lasts until ctrl+s was pressed, not until the busy console got to it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from textual import events
from textual._time import get_time
from textual.worker import WorkerState

from hotline.tui.key_trace import trace

if TYPE_CHECKING:
    from textual.app import App
    from textual.message_pump import MessagePump

    from hotline.core.clock import Clock

KEY_HOLDING_WORKER_GROUPS = frozenset(
    {
        "save",
        "ticket-save",
        "queues-save",
        "queues-pick",
        "queues-load",
        "files-save",
        "files-list",
        "kb-choose",
        "reminder-change",
        "client-load",
        "ticket-load",
        "ticket-choices",
        "new-ticket-queues",
        "missed-calls",
        "missed-call-done",
        "client-list",
        "timeline",
        "card",
    }
)
"""Worker groups whose end changes what the next key acts on: a save closes a form or reloads a ticket,
a load fills the fields being edited (a key typed before would be overwritten) or the ticket and card
that the keys act on. So do the lists and choices the keys pick from: a ticket's choices (the pick typed
after ``a`` or ``q`` went to the ticket screen), the queues' listing (``t`` took the ticket of the listing
being replaced), a new ticket's queues (the ticket went to the only queue offered yet), the missed calls
and the client list (Enter on the empty or unfiltered list: lost, or the wrong client's card), a card's
timeline (Enter on its newest line lost), a ticket's attachments (``f``, ↓, ``o``: nothing opened). Keys
wait for them."""

VALVE_BLOCKING_WORKER_GROUPS = KEY_HOLDING_WORKER_GROUPS | {"lookup"}
"""Workers whose end the keys wait for however long they take (the lookup: Enter opens its first hit)."""

STUCK_AFTER_SECONDS = 5.0
"""When no key has gone through for this long and nothing the keys wait for was seen under way meanwhile
(no app message, holder, mounting screen or ``VALVE_BLOCKING_WORKER_GROUPS`` worker), the next waiting key
is let through (one per period) rather than held for ever."""

REACTION_SECONDS = 0.25
"""A key read this soon after a ring was meant for what was on screen before it: nobody sees a card pop
and reacts in less (a person's visual reaction takes 0.2–0.3 s). It goes before the card, which waits
that long only for an operator who is typing."""

RECHECK_SECONDS = 0.002
TICK_SECONDS = 0.05

_RUNNING = (WorkerState.PENDING, WorkerState.RUNNING)


def _busy(pump: MessagePump) -> bool:
    """Whether ``pump`` has a message queued or is still handling one: a running pump that is not
    waiting for its next message (Textual's queue keeps no count of messages in hand)."""
    queue = pump._message_queue
    if queue.qsize() or pump._next_callbacks:
        return True
    task = pump._task
    if task is None or task.done():
        return False
    waiters = getattr(queue.ready_event, "_waiters", None)
    return waiters is not None and not waiters


def _name(event: events.Event) -> str:
    """How the trace names a key or a paste (the pasted text stays out of it)."""
    return repr(event.key) if isinstance(event, events.Key) else f"paste of {len(getattr(event, 'text', ''))}"


@dataclass(frozen=True, slots=True)
class _Pop:
    """A screen pop waiting in the key queue: its action and when the console heard the ring (the
    message's ``time``, on the clock keys are stamped with)."""

    action: Callable[[], object]
    rang_at: float

    def too_soon(self, moment: float) -> bool:
        """Whether ``moment`` is within ``REACTION_SECONDS`` of the ring (or before it): a key read then was
        typed for the screen before the card."""
        return moment < self.rang_at + REACTION_SECONDS


class TypeAhead:
    """The app's key gate: ``take`` every raw key and paste; they reach ``forward`` one at a time."""

    def __init__(self, app: App[Any], forward: Callable[[events.Event], Awaitable[None]]) -> None:
        self._app = app
        self._forward = forward
        self._waiting: deque[tuple[events.Event | _Pop, float]] = deque()
        """Keys and pastes, and the screen pops waiting their turn behind them (``_Pop``)."""
        self._holders: set[object] = set()
        self._recheck_due = False
        self._tick_due = False
        self._queued = 0
        """Our own look-again callbacks in the app's queue: they are not work the last key caused. Under
        CPU load the steady tick posted faster than the app handled them, so the queue was never empty,
        the console never looked settled, and after ``STUCK_AFTER_SECONDS`` the valve let keys go."""
        self._last_progress = 0.0
        """When a key last went through (or started waiting in an empty queue)."""
        self._in_hand: events.Event | None = None
        """The key (or paste) being forwarded: its priority bindings (ctrl+s) run while it is in hand."""
        self._last_read = float("-inf")
        """When the terminal driver read the latest key taken (``Message.time``)."""

    @staticmethod
    def wants(event: events.Event) -> bool:
        """A key or paste straight from the terminal (not one on its way through the widgets)."""
        return isinstance(event, (events.Key, events.Paste)) and not event.is_forwarded

    @property
    def waiting(self) -> int:
        """How many keys (and screen pops behind keys) are waiting."""
        return len(self._waiting)

    def in_order(self, action: Callable[[], object], *, rang_at: float | None = None) -> None:
        """Run ``action`` (a screen pop opening its card) now, or after the keys already waiting: keys
        typed before the ring go where they were typed, keys typed after it go to the card.

        With no key waiting, the card still waits for what the last key started (``settled``): a save in
        flight closes its form with Textual's ``dismiss``, which pops whatever screen is on top. A card
        pushed over a new-client form being saved was closed in its place, and the new client's card
        (with the previous call's timer) opened over it: the next call was logged on the previous
        caller's card. Over a call form being saved, the card was closed and the form stayed on top.

        ``rang_at`` (when the console heard the ring, on the keys' clock): keys read before it, or less
        than ``REACTION_SECONDS`` after it, were typed for the screen before the card, and go first
        (``take``); an operator who is typing gets her card that much later. An Esc typed to close the
        previous card 28 ms after the ring closed the new one instead, and the next call's keys were
        logged on the previous caller's card."""
        pop = _Pop(action, get_time() if rang_at is None else rang_at)
        if not self._waiting and self.settled() and not self._typing_at(pop):
            trace(self._app, "pop: now")
            action()
            return
        if self._waiting:
            trace(self._app, f"pop: behind {len(self._waiting)} keys")
        else:
            trace(self._app, "pop: waits for the console to settle")
            self._last_progress = time.monotonic()
        self._waiting.append((pop, time.monotonic()))
        self._recheck()

    def _typing_at(self, pop: _Pop) -> bool:
        """Whether the operator was typing when the ring came, and could still be typing for the screen
        before the card: a key read less than ``REACTION_SECONDS`` before the ring, and its window open."""
        return self._last_read > pop.rang_at - REACTION_SECONDS and pop.too_soon(get_time())

    async def take(self, event: events.Event) -> None:
        """Queue a key behind those already waiting and forward what may go now."""
        if not self._waiting:
            self._last_progress = time.monotonic()
        self._last_read = max(self._last_read, event.time)
        # Before the pops that rang after it was read, or too shortly before it for anyone to have seen
        # the card.
        place = len(self._waiting)
        while place and isinstance(pop := self._waiting[place - 1][0], _Pop) and pop.too_soon(event.time):
            place -= 1
        self._waiting.insert(place, (event, time.monotonic()))
        ahead = f", before {len(self._waiting) - 1 - place} pops" if place < len(self._waiting) - 1 else ""
        trace(self._app, f"take {_name(event)} read at {event.time:.3f}, {len(self._waiting)} waiting{ahead}")
        await self.release()

    def hold(self, holder: object, held: bool) -> None:
        """``holder`` (a screen) holds the keys until it lets go (or leaves the screen stack)."""
        if held:
            self._holders.add(holder)
        else:
            self._holders.discard(holder)
            self._recheck()

    async def release(self) -> None:
        """Forward waiting keys while the console is settled (one key unsettles it until handled)."""
        while self._waiting:
            if not self.settled():
                now = time.monotonic()
                if self._awaited_work() or self.worker_running() or self._screen_awaits():
                    # Work the keys wait for is under way, however slowly (a starved machine can take
                    # seconds between a lookup's end and the card it opens): that is not a stuck console.
                    self._last_progress = now
                if now - self._last_progress <= STUCK_AFTER_SECONDS:
                    self._recheck()
                    return
                trace(self._app, "valve opens")
                # The valve lets one key through; the next waits for the console (or the valve) again:
                # letting the rest follow at once put a note typed after ``c`` on the card, not the form.
            head = self._waiting[0][0]
            if isinstance(head, _Pop) and self._typing_at(head):
                # keys typed for the screen before the card may still come: look again shortly
                self._recheck()
                return
            entry, _ = self._waiting.popleft()
            self._last_progress = time.monotonic()
            if isinstance(entry, events.Event):
                trace(self._app, f"forward {_name(entry)}")
                self._in_hand = entry
                try:
                    await self._forward(entry)
                finally:
                    self._in_hand = None
            else:
                trace(self._app, "pop: its turn")
                entry.action()

    def key_age_seconds(self) -> float:
        """How long ago the terminal driver read the key whose binding runs now (0 when none does: the
        action came from the mouse, the command palette, or a key's non-priority binding, which runs after
        the key was forwarded)."""
        key = self._in_hand
        return max(0.0, get_time() - key.time) if key is not None else 0.0

    def worker_running(self) -> bool:
        """A worker whose end the keys wait for, however long it takes, is still running."""
        return any(w.group in VALVE_BLOCKING_WORKER_GROUPS and w.state in _RUNNING for w in self._app.workers)

    def _screen_awaits(self) -> bool:
        """The top screen says what the keys wait for is on its way (``keys_await``): the lookup's results
        read but not shown yet, the card read but not filled in. On a starved machine the handler that
        shows them can take seconds after its worker ended, with a key already queued behind it (Enter
        for the first hit); the valve took that for a stuck console and sent ``c`` and the call's note
        into the lookup box."""
        stack = self._app.screen_stack
        awaits = getattr(stack[-1], "keys_await", None) if stack else None
        return bool(awaits is not None and awaits())

    def settled(self) -> bool:
        """Nothing the last key started is still under way (called on the app's own task)."""
        if self._awaited_work():
            return False
        return not any(_busy(node) for node in self._app.screen_stack[-1].walk_children(with_self=True))

    def _awaited_work(self) -> bool:
        """The console is still on its way to the screen the next key is meant for: messages for the app,
        a screen holding the keys, a save or load running, the top screen not mounted yet. Only a widget
        that stays busy (``_busy``) is left out: that is what the valve is for."""
        app = self._app
        if app.message_queue_size > self._queued or app._pending_message is not None or app._next_callbacks:
            # ``_next_callbacks``: a closed screen's result callback (``call_next``) runs only once the
            # app's queue is empty; until then the screen it opens (the card after the new-client form)
            # is not there yet, and a key let through now lands on the screen below
            return True
        stack = app.screen_stack
        self._holders.intersection_update(stack)
        if self._holders or not stack:
            return True
        if any(w.group in KEY_HOLDING_WORKER_GROUPS and w.state in _RUNNING for w in app.workers):
            return True
        screen = stack[-1]
        return bool(screen._callbacks) or not screen.is_mounted

    def _recheck(self) -> None:
        """Look again shortly, on the app's task (a timer, so the widgets get their turn first)."""
        if self._waiting and not self._recheck_due:
            self._recheck_due = True
            asyncio.get_running_loop().call_later(RECHECK_SECONDS, self._post, self._rechecked)

    def _post(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._queued += 1
        self._app.call_later(callback)

    async def _rechecked(self) -> None:
        self._queued -= 1
        self._recheck_due = False
        await self.release()

    def tick(self) -> None:
        """The app's steady timer (``TICK_SECONDS``): look again even if a quick recheck was lost.

        A Textual timer calls its callback on the timer's own asyncio task, not the app's. Forwarding from
        there raced the app: while the app's task was suspended inside a handler (a screen being pushed,
        popped or composed) its queue was empty, so ``settled`` said yes and a key went through in the
        middle — a ``c`` pushed the call form under the card that a save was still opening, the save then
        closed the card instead of the form, and an Esc closed the form a second time. The tick only asks
        the app to look, on its own task, between two of its messages."""
        if self._waiting and not self._tick_due:
            self._tick_due = True
            self._post(self._ticked)

    async def _ticked(self) -> None:
        self._queued -= 1
        self._tick_due = False
        await self.release()


def pressed_at(app: App[Any], clock: Clock) -> datetime:
    """When the operator pressed the key whose binding runs now, on ``clock``: its now, less how long the
    key waited (in the terminal's buffer, the app's queue, the gate) before its binding ran. Without a key
    in hand (or outside the console's app), now."""
    gate = getattr(app, "type_ahead", None)
    age = gate.key_age_seconds() if isinstance(gate, TypeAhead) else 0.0
    return clock.now() - timedelta(seconds=age)

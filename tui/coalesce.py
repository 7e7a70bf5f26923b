"""Folding bursts of live changes into a few reloads: mail intake may write hundreds of tickets a
second, and a screen that read itself again for each would do nothing else (nor would its database)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.message_pump import MessagePump
    from textual.screen import Screen
    from textual.timer import Timer

RELOAD_GAP_SECONDS = 0.5
"""A screen reads itself again at most this often on pushed changes (twice a second)."""


class Coalescer:
    """Runs ``action`` when asked, at most once per ``gap`` seconds: the first request at once, every
    request during the gap folded into one run at its end. Lives on the event loop of ``node``."""

    def __init__(self, node: MessagePump, action: Callable[[], None], *, gap: float = RELOAD_GAP_SECONDS):
        self.node = node
        self.action = action
        self.gap = gap
        self.runs = 0
        """How many times ``action`` ran (what the burst tests bound)."""
        self._last = -gap
        self._timer: Timer | None = None

    def request(self) -> None:
        if self._timer is not None:
            return  # a run is already planned: this request rides on it
        wait = self._last + self.gap - time.monotonic()
        if wait <= 0:
            self._run()
        else:
            self._timer = self.node.set_timer(wait, self._planned)

    def _planned(self) -> None:
        self._timer = None
        self._run()

    def _run(self) -> None:
        self._last = time.monotonic()
        self.runs += 1
        self.action()


def seen(screen: Screen[object]) -> bool:
    """Whether ``screen`` is on top, or under modals only (help, a picker, the palette: it shows around
    them), so that reading itself again is worth it. Not Textual's ``is_current``, which is also true of
    the screen right under the top one whatever covers it: a queue list under a ticket re-read itself on
    every burst of mail, unseen."""
    from textual.screen import ModalScreen

    for shown in reversed(screen.app.screen_stack):
        if shown is screen:
            return True
        if not isinstance(shown, ModalScreen):
            return False
    return False

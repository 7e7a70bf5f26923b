"""Timers that do not keep a closed screen alive.

A Textual timer is an asyncio task, and the task copies the context it is started in: inside a widget's
handler that context names the widget (Textual's ``active_message_pump``). When the widget goes, its
timer is cancelled, but asyncio keeps a cancelled sleep's handle, with that context, in its schedule
until the sleep would have ended. A 30-second timer on a client's card kept the whole closed card (about
ten thousand objects) alive for 30 seconds: a console taking a call every few seconds held dozens of
them, and every full garbage collection walked them all, in the middle of the next ring.

Started here, the timer's task copies a context that names the app instead; it still belongs to the
widget (stopped when the widget is removed, its callback run as before).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.timer import Timer
    from textual.widget import Widget


def long_interval(widget: Widget, seconds: float, callback: Callable[[], object]) -> Timer:
    """``widget.set_interval(seconds, callback)`` whose task does not hold the widget once stopped."""
    with widget.app._context():
        return widget.set_interval(seconds, callback)


def long_timer(widget: Widget, seconds: float, callback: Callable[[], object]) -> Timer:
    """``widget.set_timer(seconds, callback)`` whose task does not hold the widget once stopped."""
    with widget.app._context():
        return widget.set_timer(seconds, callback)

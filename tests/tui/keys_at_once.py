"""Typing at zero delay in Pilot tests: every key handed to the app at once, as a fast typist or a
scanner sends them (``pilot.press`` waits for the console between keys, which hides lost keys)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.keys import _character_to_key, _get_unicode_name_from_key
from textual.pilot import Pilot

_TOKEN = re.compile(r"<([a-z0-9_+]+)>|(.)", re.DOTALL)


def key_event(key: str) -> events.Key:
    """The event the terminal driver makes for ``key`` (a character, or a name such as ``ctrl+s``)."""
    if key == "enter":
        return events.Key("enter", "\r")
    if len(key) == 1:
        name = key if key.isalnum() else _character_to_key(key)
        return events.Key(name, key)
    try:
        char: str | None = unicodedata.lookup(_get_unicode_name_from_key(key))
    except KeyError:
        char = None
    return events.Key(key, char)


def type_at_once(app: App[None], script: str, *, read_at: float | None = None) -> int:
    """Hand every key of ``script`` to ``app`` at once: text as typed, ``<tab>``, ``<f4>``, ``<ctrl+s>``
    as keys (``\\n`` is Enter). ``read_at``: the time the keys carry (``Message.time``, when the terminal
    driver read them), else now. Returns how many keys were sent."""
    count = 0
    for name, char in _TOKEN.findall(script):
        key = name or ("enter" if char == "\n" else char)
        event = key_event(key)
        if read_at is not None:
            event.time = read_at
        event.set_sender(app)
        app.post_message(event)
        count += 1
    return count


async def wait_typed(pilot: Pilot[None], settle: Callable[[Pilot[None]], Awaitable[None]]) -> None:
    """Until the console has taken every key handed to it (a bounded number of pauses, no sleeps)."""
    app = pilot.app
    for _ in range(200):
        await settle(pilot)
        if not app.type_ahead.waiting and app.type_ahead.settled():
            return
    raise AssertionError(f"{app.type_ahead.waiting} keys still waiting")

"""A trace of the type-ahead gate, for finding out where keys went in a real terminal.

``HOTLINE_KEY_TRACE=<file>`` appends a line per step: a key taken (with the time the terminal driver
read it), a key forwarded (with the screen stack and the focused widget it goes to), a screen pop shown
at once or queued behind waiting keys, the valve opening. The tmux shift test sets it and prints the
trace when it fails; a Pilot test cannot show what a loaded machine does to a burst of keys. The lines
hold what was typed: for diagnosis only. Without the variable nothing is written.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App

PATH: Path | None = Path(value) if (value := os.environ.get("HOTLINE_KEY_TRACE")) else None
"""Where the trace goes (None: nowhere); read once, when the console starts."""


def trace(app: App[Any], what: str) -> None:
    """Append ``what`` with the monotonic time, the screen stack and the focused widget."""
    if PATH is None:
        return
    stack = "/".join(type(screen).__name__ for screen in app.screen_stack)
    focused = app.focused
    where = f"{type(focused).__name__}#{focused.id}" if focused is not None else "-"
    with PATH.open("a", encoding="utf-8") as out:
        out.write(f"{time.monotonic():.3f} {what} | {stack} | {where}\n")
